from __future__ import annotations

import socket
from pathlib import Path

import httpx

from blether.action_server import is_healthy, running_action_server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_runs_for_the_block_and_stops_after(tmp_path: Path) -> None:
    port = free_port()
    with running_action_server(port, tmp_path / "actions.log"):
        assert is_healthy(port)
        actions = httpx.get(f"http://127.0.0.1:{port}/actions", timeout=5).json()
        assert {"name": "action_emergency"} in actions
    assert not is_healthy(port)
