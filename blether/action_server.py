"""Start the rasa-sdk action server for the length of a command, and stop it afterwards."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from blether.settings import PROJECT_ROOT


def is_healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/health", timeout=1.0).status_code == 200
    except httpx.HTTPError:
        return False


@contextmanager
def running_action_server(
    port: int, log_path: Path, env: dict[str, str] | None = None, startup_timeout: float = 60.0
) -> Iterator[None]:
    """Yield while an action server answers on 127.0.0.1:`port`; reuse one that already does.

    rasa-sdk has no authentication, so it listens on loopback only (SANIC_HOST).
    """
    if is_healthy(port):
        yield
        return
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)],
            cwd=PROJECT_ROOT,
            env={**os.environ, **(env or {})},
            stdout=log,
            stderr=log,
        )
    try:
        deadline = time.monotonic() + startup_timeout
        while not is_healthy(port):
            if process.poll() is not None:
                raise RuntimeError(
                    f"action server exited with {process.returncode}; see {log_path}"
                )
            if time.monotonic() > deadline:
                raise RuntimeError(f"action server not healthy after {startup_timeout:.0f}s")
            time.sleep(0.25)
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
