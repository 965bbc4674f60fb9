"""Editors' changes reach a running action server within 2 seconds, without a restart."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx

from blether.action_server import running_action_server
from tests.conftest import rewrite
from tests.stack import free_port

RELOAD_LIMIT = 2.0


def ask(port: int, topic: str) -> list[dict[str, Any]]:
    tracker = {
        "sender_id": "hot-reload",
        "slots": {},
        "events": [],
        "paused": False,
        "latest_message": {"intent": {"name": topic}, "entities": [], "text": ""},
        "followup_action": None,
        "active_loop": {},
        "latest_action_name": "action_listen",
    }
    body = {
        "next_action": "action_answer_topic",
        "sender_id": "hot-reload",
        "tracker": tracker,
        "domain": {},
        "version": "3.6.2",
    }
    response = httpx.post(f"http://127.0.0.1:{port}/webhook", json=body, timeout=10)
    response.raise_for_status()
    return response.json()["responses"]  # type: ignore[no-any-return]


def first_text(port: int) -> str:
    return str(ask(port, "withdrawal")[0]["text"])


def test_an_edit_is_served_within_two_seconds_and_a_broken_edit_keeps_the_last_good(
    content_dir: Path, tmp_path: Path
) -> None:
    port = free_port()
    log = tmp_path / "actions.log"
    env = {"BLETHER_CONTENT_DIR": str(content_dir), "DATABASE_URL": f"sqlite:///{tmp_path}/app.db"}
    path = content_dir / "topics" / "withdrawal.md"
    with running_action_server(port, log, env=env):
        assert first_text(port).startswith("Stopping benzos suddenly")

        rewrite(path, "Stopping benzos suddenly", "Edited: stopping benzos suddenly")
        edited_at = time.monotonic()
        while not first_text(port).startswith("Edited:"):
            assert time.monotonic() - edited_at < RELOAD_LIMIT, "edit not served within 2 s"
            time.sleep(0.05)

        rewrite(path, "status: draft", "status: finished")
        broken_at = time.monotonic()
        while "withdrawal.md: status" not in log.read_text():
            assert time.monotonic() - broken_at < RELOAD_LIMIT, "broken edit not reported"
            first_text(port)
            time.sleep(0.05)
        assert first_text(port).startswith("Edited: stopping benzos suddenly")
        assert "content file rejected" in log.read_text()
        assert "last good version keeps serving" in log.read_text()
