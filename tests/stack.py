"""Real processes for end-to-end tests: action server, Rasa server and the Telegram bridge."""

from __future__ import annotations

import datetime as dt
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from blether.action_server import running_action_server
from blether.content import ContentLibrary
from blether.pseudonym import pseudonym
from blether.rasa_server import free_port, running_rasa_server
from blether.replies import topic_answer
from blether.splitting import split_message
from tests.conftest import ROOT
from tests.fake_telegram import FakeTelegram

TOKEN = "123456:TEST-token_abcdefghijklmnopqrstuv"
KEY = "test-pseudonym-key"


def referral_for_worker(
    database: str, person: int, worker: str, now: dt.datetime, accepted: bool = False
) -> int:
    """A referral as the referral form leaves it, waiting for `worker` (or already accepted)."""
    from blether import referrals
    from blether.db import make_engine, make_sessionmaker
    from blether.sealing import seal
    from tests.conftest import waiting_referral

    engine = make_engine(database)
    with make_sessionmaker(engine).begin() as session:
        key = KEY.encode()
        made = waiting_referral(session, pseudonym(key, person), seal(key, person), worker, now)
        if accepted:
            referrals.change(session, made, referrals.OFFERED, now, worker_id=worker)
            referrals.change(session, made, referrals.ACCEPTED, now, worker_id=worker)
    engine.dispose()
    return made


def card_pieces(topic: str) -> int:
    """How many Telegram messages a topic's answer takes."""
    answer = topic_answer(ContentLibrary(ROOT / "content"), topic)
    return sum(len(split_message(reply.text)) for reply in answer.replies)


def pid_on_port(port: int) -> int:
    """The process started with `--port <port>` (Rasa, the action server), from /proc."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"--port" in args[:-1] and args[args.index(b"--port") + 1] == str(port).encode():
            return int(entry.name)
    raise RuntimeError(f"no process on port {port}")


def rss_mb(pid: int) -> float:
    """A process's resident memory in MB (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def wait_until(check, timeout: float, what: str, process: subprocess.Popen | None = None) -> None:  # type: ignore[no-untyped-def,type-arg]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}")
        try:
            if check():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{what} not ready after {timeout:.0f}s")


def stop(process: subprocess.Popen) -> None:  # type: ignore[type-arg]
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def rasa_server(
    model: Path, action_port: int, tracker_url: str, workdir: Path, content: Path
) -> Iterator[str]:
    """`rasa run` with the REST channel on loopback; yields the REST webhook URL."""
    endpoints = workdir / "endpoints.yml"
    endpoints.write_text(blether_endpoints(action_port))
    env = {
        "BLETHER_TRACKER_URL": tracker_url,
        # The NLU components (lexicon, safety net) read the same content as the actions.
        "BLETHER_CONTENT_DIR": str(content),
    }
    with running_rasa_server(model, endpoints, workdir / "rasa.log", env=env) as server:
        server.wait_ready(180)
        yield server.webhook_url


def blether_endpoints(action_port: int, lock_prefix: str | None = None) -> str:
    """Rasa's endpoints for Blether; with a prefix, locks in the local Redis (several replicas)."""
    text = (
        f'action_endpoint:\n  url: "http://127.0.0.1:{action_port}/webhook"\n'
        "tracker_store:\n  type: blether.tracker_store.BletherTrackerStore\n"
    )
    if lock_prefix:
        text += (
            "lock_store:\n  type: redis\n  url: 127.0.0.1\n  port: 6379\n  db: 2\n"
            f"  key_prefix: {lock_prefix}\n"
        )
    return text


@dataclass
class Replica:
    url: str  # the REST webhook
    port: int
    process: subprocess.Popen  # type: ignore[type-arg]


@contextmanager
def rasa_replicas(
    model: Path, workdir: Path, endpoints: list[str | None], env: dict[str, str]
) -> Iterator[list[Replica]]:
    """Several `rasa run` processes started together (each with its own endpoints, None for
    Rasa's defaults); yields them once every one answers."""
    replicas: list[Replica] = []
    try:
        for n, text in enumerate(endpoints):
            port = free_port()
            command = [sys.executable, "-m", "rasa", "run", "--model", str(model)]
            command += ["--port", str(port), "-i", "127.0.0.1"]
            command += ["--credentials", str(ROOT / "credentials.yml")]
            if text is not None:
                (workdir / f"endpoints-{n}.yml").write_text(text)
                command += ["--endpoints", str(workdir / f"endpoints-{n}.yml")]
            with open(workdir / f"rasa-{n}.log", "wb") as log:
                process = subprocess.Popen(
                    command,
                    cwd=ROOT,
                    env={**os.environ, "RASA_TELEMETRY_ENABLED": "false", **env},
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            replicas.append(
                Replica(f"http://127.0.0.1:{port}/webhooks/rest/webhook", port, process)
            )
        for replica in replicas:
            wait_until(
                lambda r=replica: (
                    httpx.get(f"http://127.0.0.1:{r.port}/", timeout=2).status_code == 200
                ),
                300,
                "rasa replica",
                replica.process,
            )
        yield replicas
    finally:
        for replica in replicas:
            stop(replica.process)


def spawn_bridge(env: dict[str, str], log_path: Path) -> subprocess.Popen:  # type: ignore[type-arg]
    """A bridge process writing to its own log; the caller waits for it and stops it."""
    with open(log_path, "ab") as log:  # the child keeps its own copy of the file
        return subprocess.Popen(
            [sys.executable, "-m", "blether.cli", "telegram"],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def polling_bridge(fake: FakeTelegram, env: dict[str, str], log_path: Path) -> subprocess.Popen:  # type: ignore[type-arg]
    """A new bridge process, returned once it has started polling the fake Bot API."""
    started = sum(c.method == "deleteWebhook" for c in fake.calls)
    process = spawn_bridge(env, log_path)
    wait_until(
        lambda: sum(c.method == "deleteWebhook" for c in fake.calls) > started,
        60,
        "bridge",
        process,
    )
    return process


@contextmanager
def bridge(env: dict[str, str], log_path: Path, ready: callable) -> Iterator[subprocess.Popen]:  # type: ignore[valid-type,type-arg]
    process = spawn_bridge(env, log_path)
    try:
        wait_until(ready, 60, "bridge", process)
        yield process
    finally:
        stop(process)


@dataclass
class Stack:
    fake: FakeTelegram
    workdir: Path
    tracker_db: Path
    rasa_url: str
    content: Path
    flood_limit: int
    extra: dict[str, str] = field(default_factory=dict)
    bridge_process: subprocess.Popen | None = None  # type: ignore[type-arg]

    def restart_bridge(self) -> None:
        """Stop the running bridge and start a new one, as after a crash or a deploy."""
        assert self.bridge_process is not None
        stop(self.bridge_process)
        self.bridge_process = polling_bridge(self.fake, self.env(), self.workdir / "bridge.log")

    def env(self, **extra: str) -> dict[str, str]:
        return {
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": self.fake.base_url,
            "RASA_URL": self.rasa_url,
            "BLETHER_TRACKER_URL": f"sqlite:///{self.tracker_db}",
            "BLETHER_PSEUDONYM_KEY": KEY,
            "BLETHER_CONTENT_DIR": str(self.content),
            "BLETHER_FLOOD_LIMIT": str(self.flood_limit),
            "RASA_TIMEOUT": "20",
            "DATABASE_URL": f"sqlite:///{self.workdir}/app.db",
            **self.extra,
            **extra,
        }

    def events_of(self, user_id: int) -> int:
        with sqlite3.connect(self.tracker_db) as db:
            sender = pseudonym(KEY.encode(), user_id)
            query = "SELECT COUNT(*) FROM events WHERE sender_id = ?"
            return int(db.execute(query, (sender,)).fetchone()[0])


def bridge_only_env(
    fake: FakeTelegram, workdir: Path, content: Path, database: str, **extra: str
) -> dict[str, str]:
    """A bridge with no Rasa behind it (nothing listens on its Rasa port): its own paths (the
    safety net, buttons, timers, handoffs) answer. Timers run every 0.2 s. No danger model
    unless `extra` names one: the rules alone, so that what each test sends is read the same
    way whatever data/nlu holds."""
    return {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": fake.base_url,
        "RASA_URL": f"http://127.0.0.1:{free_port()}/webhooks/rest/webhook",
        "RASA_TIMEOUT": "2",
        "BLETHER_TRACKER_URL": f"sqlite:///{workdir}/tracker.db",
        "BLETHER_PSEUDONYM_KEY": KEY,
        "BLETHER_CONTENT_DIR": str(content),
        "DATABASE_URL": database,
        "BLETHER_HANDOFF_POLL": "0.2",
        # The rules alone unless a test passes a danger model (tests/test_bridge_danger.py).
        "BLETHER_DANGER_MODEL": str(workdir / "no-danger-model.joblib"),
        **extra,
    }


def polling(fake: FakeTelegram) -> bool:
    return any(c.method == "deleteWebhook" for c in fake.calls)


@contextmanager
def full_stack(
    model: Path,
    workdir: Path,
    content: Path,
    flood_limit: int,
    extra: dict[str, str] | None = None,
) -> Iterator[Stack]:
    """Fake Telegram, action server, Rasa server and a polling bridge, all on loopback."""
    tracker_db = workdir / "tracker.db"
    fake = FakeTelegram(TOKEN).start()
    action_port = free_port()
    try:
        with (
            running_action_server(
                action_port,
                workdir / "actions.log",
                env={
                    "BLETHER_CONTENT_DIR": str(content),
                    "DATABASE_URL": f"sqlite:///{workdir}/app.db",
                    **(extra or {}),
                },
            ),
            rasa_server(
                model, action_port, f"sqlite:///{tracker_db}", workdir, content
            ) as rasa_url,
        ):
            stack = Stack(fake, workdir, tracker_db, rasa_url, content, flood_limit, extra or {})
            with bridge(stack.env(), workdir / "bridge.log", lambda: polling(fake)) as process:
                stack.bridge_process = process
                try:
                    yield stack
                finally:
                    if stack.bridge_process is not process:
                        stop(stack.bridge_process)
    finally:
        fake.stop()
