"""`blether doctor`: one clear line per thing that is missing or wrong."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from blether.db import upgrade
from blether.doctor import render, run_checks
from blether.settings import Settings
from tests.conftest import rewrite
from tests.stack import TOKEN


class StandIn(BaseHTTPRequestHandler):
    """Rasa's REST channel and the action server's health check, answering as configured."""

    replies: list[dict[str, str]] = [{"recipient_id": "x", "text": "Hiya"}]

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self._json(200, {"status": "ok"})

    def do_POST(self) -> None:  # noqa: N802
        self.rfile.read(int(self.headers["Content-Length"]))
        self._json(200, self.replies)

    def _json(self, status: int, body: object) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def stand_in() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def settings(
    tmp_path: Path, content_dir: Path, base: str, danger_model: Path | None = None
) -> Settings:
    return replace(
        Settings.from_env({}),
        danger_model_path=danger_model or tmp_path / "no-danger-model.joblib",
        content_dir=content_dir,
        database_url=f"sqlite:///{tmp_path}/app.db",
        tracker_url=f"sqlite:///{tmp_path}/tracker.db",
        telegram_token=TOKEN,
        pseudonym_key="a-key",
        rasa_url=f"{base}/webhooks/rest/webhook",
        action_server=f"{base}/webhook",
    )


async def test_all_well_is_one_ok_line_each(
    tmp_path: Path, content_dir: Path, stand_in: str, small_danger_model: Path
) -> None:
    chosen = settings(tmp_path, content_dir, stand_in, small_danger_model)
    upgrade(chosen.database_url)
    findings = await run_checks(chosen)
    assert [f.name for f in findings] == [
        "settings",
        "content",
        "danger model",
        "app database",
        "tracker database",
        "Rasa",
        "action server",
    ]
    assert all(f.ok for f in findings), render(findings)
    assert render(findings).endswith("all checks passed")


async def test_each_problem_is_named_with_what_to_do(
    tmp_path: Path, content_dir: Path, stand_in: str
) -> None:
    rewrite(content_dir / "safety.yml", "emergency_overdose:", "emergency_overdoes:")
    chosen = replace(
        settings(tmp_path, content_dir, "http://127.0.0.1:9"),
        telegram_token="not-a-token",
    )
    lines = {f.name: f for f in await run_checks(chosen)}
    assert "does not look like a bot token" in lines["settings"].detail
    assert "run `blether content check`" in lines["content"].detail
    assert "run `blether danger train`" in lines["danger model"].detail
    assert "run `blether db upgrade`" in lines["app database"].detail
    assert lines["Rasa"].detail.startswith("not reachable at http://127.0.0.1:9")
    assert not lines["action server"].ok
    assert TOKEN not in render(list(lines.values())) and "a-key" not in render(list(lines.values()))


async def test_rasa_up_without_a_model_is_told_apart(
    tmp_path: Path, content_dir: Path, stand_in: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(StandIn, "replies", [])
    lines = {f.name: f for f in await run_checks(settings(tmp_path, content_dir, stand_in))}
    assert not lines["Rasa"].ok and "is a model loaded?" in lines["Rasa"].detail
