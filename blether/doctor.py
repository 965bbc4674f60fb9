"""`blether doctor`: is everything the bridge needs there and right? One line per check.

The bridge runs the same checks when it starts and logs the lines, so a wrong RASA_URL shows
as "Rasa: not reachable at ..." and not only as every answer being the outage apology.
No line carries a secret, a message or a Telegram id.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from blether.content.check import check_folder
from blether.db import alembic_config, make_engine
from blether.erasure import erase_conversation, tracker_sessionmaker
from blether.settings import Settings, SettingsError

PROBE_SENDER = "blether-doctor-probe"  # its conversation is erased after the probe


@dataclass(frozen=True)
class Finding:
    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'} {self.name}: {self.detail}"


def _base(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def settings_finding(settings: Settings) -> Finding:
    from blether.bridge.app import check_settings  # python-telegram-bot: only when asked

    try:
        check_settings(settings)
    except SettingsError as error:
        return Finding("settings", False, str(error))
    if settings.webhook_url and not settings.webhook_url.startswith("https://"):
        return Finding("settings", False, "TELEGRAM_WEBHOOK_URL must start with https://")
    mode = "webhook" if settings.webhook_url else "polling"
    return Finding("settings", True, f"token looks right; {mode} mode")


def content_finding(settings: Settings) -> Finding:
    try:
        findings = check_folder(settings.content_dir)
    except OSError as error:
        return Finding(
            "content", False, f"{settings.content_dir} unreadable ({type(error).__name__})"
        )
    errors = sum(f.severity == "error" for f in findings)
    if errors:
        return Finding("content", False, f"{errors} errors: run `blether content check`")
    return Finding("content", True, f"{settings.content_dir} is valid")


def danger_model_finding(settings: Settings) -> Finding:
    from blether.danger import DangerModel

    path = settings.danger_model_path
    if not path.exists():
        return Finding(
            "danger model", False, f"none at {path}: run `blether danger train` (the rules alone)"
        )
    try:
        DangerModel.load(path)
    except Exception as error:  # any unreadable file: say what to do, never crash the doctor
        return Finding("danger model", False, f"{error}: run `blether danger train`")
    return Finding("danger model", True, f"{path} loads")


def app_database_finding(settings: Settings) -> Finding:
    try:
        engine = make_engine(settings.database_url)
        with engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
        engine.dispose()
    except sa.exc.SQLAlchemyError as error:
        return Finding("app database", False, f"not reachable ({type(error).__name__})")
    latest = set(ScriptDirectory.from_config(alembic_config(settings.database_url)).get_heads())
    backend = sa.engine.make_url(settings.database_url).get_backend_name()
    if current != latest:
        at = ", ".join(sorted(current)) or "empty"
        return Finding(
            "app database",
            False,
            f"{backend} at {at}, latest is {', '.join(sorted(latest))}: run `blether db upgrade`",
        )
    return Finding("app database", True, f"{backend}, migrations current ({', '.join(latest)})")


def tracker_database_finding(settings: Settings) -> Finding:
    backend = sa.engine.make_url(settings.tracker_url).get_backend_name()
    try:
        with tracker_sessionmaker(settings.tracker_url).begin() as session:
            tables = sa.inspect(session.connection()).has_table("events")
    except sa.exc.SQLAlchemyError as error:
        return Finding(
            "tracker database", False, f"{backend} not reachable ({type(error).__name__})"
        )
    note = "conversations table present" if tables else "reachable; Rasa makes its tables"
    return Finding("tracker database", True, f"{backend}, {note}")


async def rasa_finding(
    settings: Settings, http: httpx.AsyncClient, webhook: str | None = None
) -> Finding:
    """One Rasa replica (RASA_URL, or one of RASA_URLS) answers a probe."""
    webhook = webhook or settings.rasa_url
    base = _base(webhook)
    try:
        hello = await http.get(f"{base}/")
        hello.raise_for_status()
    except httpx.HTTPError as error:
        return Finding("Rasa", False, f"not reachable at {base} ({type(error).__name__})")
    try:
        probe = await http.post(webhook, json={"sender": PROBE_SENDER, "message": "/greet"})
        probe.raise_for_status()
        replies = probe.json()
    except (httpx.HTTPError, ValueError) as error:
        return Finding(
            "Rasa", False, f"up at {base} but the REST channel failed ({type(error).__name__})"
        )
    finally:
        await asyncio.to_thread(_forget_probe, settings)
    if not replies:
        return Finding("Rasa", False, f"up at {base} but answered nothing: is a model loaded?")
    return Finding("Rasa", True, f"up at {base}, model loaded (answered a probe)")


def _forget_probe(settings: Settings) -> None:
    try:
        with tracker_sessionmaker(settings.tracker_url).begin() as session:
            erase_conversation(session, PROBE_SENDER)
    except sa.exc.SQLAlchemyError:
        pass  # the tracker line says what is wrong with that database


async def action_server_finding(settings: Settings, http: httpx.AsyncClient) -> Finding:
    base = _base(settings.action_server_url)
    try:
        health = await http.get(f"{base}/health")
        health.raise_for_status()
    except httpx.HTTPError as error:
        return Finding("action server", False, f"not reachable at {base} ({type(error).__name__})")
    return Finding("action server", True, f"up at {base}")


async def run_checks(settings: Settings, http: httpx.AsyncClient | None = None) -> list[Finding]:
    """Every check, in the order a person would fix them."""
    own = http is None
    client = http or httpx.AsyncClient(timeout=httpx.Timeout(10.0, connect=3.0))
    try:
        local = await asyncio.to_thread(
            lambda: [
                settings_finding(settings),
                content_finding(settings),
                danger_model_finding(settings),
                app_database_finding(settings),
                tracker_database_finding(settings),
            ]
        )
        remote = [await rasa_finding(settings, client, url) for url in settings.rasa_replicas]
        remote.append(await action_server_finding(settings, client))
    finally:
        if own:
            await client.aclose()
    return local + remote


def render(findings: list[Finding]) -> str:
    failed = sum(not f.ok for f in findings)
    summary = "all checks passed" if not failed else f"{failed} of {len(findings)} checks failed"
    return "\n".join([f.line() for f in findings] + [summary])
