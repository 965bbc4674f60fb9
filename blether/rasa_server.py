"""Start a Rasa server (`rasa run`, REST channel on loopback) for the length of a command."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from blether.settings import PROJECT_ROOT

# Rasa's own chatter off, whoever starts it: `make` exports these, a bare `blether` may not.
QUIET_ENV = {
    "RASA_TELEMETRY_ENABLED": "false",
    "TF_CPP_MIN_LOG_LEVEL": "2",
    "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
}


def free_port() -> int:
    """A loopback port nothing listens on now (the OS picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class RasaServer:
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    enable_api: bool

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def webhook_url(self) -> str:
        """The REST channel (credentials.yml's PrivateRestInput keeps Rasa's URL)."""
        return f"{self.base_url}/webhooks/rest/webhook"

    def wait_ready(self, timeout: float = 300.0) -> dict[str, Any]:
        """Block until the model is loaded and Rasa answers; its /status with the API on.

        Rasa loads the model before it starts listening, so a first answer means a model.
        """
        deadline = time.monotonic() + timeout
        path = "/status" if self.enable_api else "/"
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"Rasa exited with {self.process.returncode}; see {self.log_path}"
                )
            try:
                response = httpx.get(self.base_url + path, timeout=2.0)
                if response.status_code == 200:
                    return dict(response.json()) if self.enable_api else {}
            except (httpx.HTTPError, ValueError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"Rasa not ready after {timeout:.0f}s; see {self.log_path}")
            time.sleep(0.25)


@contextmanager
def running_rasa_server(
    model: Path,
    endpoints: Path,
    log_path: Path,
    port: int | None = None,
    enable_api: bool = False,
    env: Mapping[str, str] | None = None,
) -> Iterator[RasaServer]:
    """Yield a started (not yet ready: see RasaServer.wait_ready) Rasa server; stop it after.

    Its output goes to `log_path` only. It listens on loopback: Rasa trusts the `sender` of
    the REST channel, and its HTTP API (`enable_api`) has no token here.
    """
    chosen = port or free_port()
    command = [sys.executable, "-m", "rasa", "run", "--model", str(model)]
    command += [
        "--endpoints",
        str(endpoints),
        "--credentials",
        str(PROJECT_ROOT / "credentials.yml"),
    ]
    command += ["--port", str(chosen), "-i", "127.0.0.1"]
    if enable_api:
        command.append("--enable-api")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:  # the child keeps its own copy of the file
        process = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env={**os.environ, **QUIET_ENV, **(env or {})},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        yield RasaServer(chosen, process, log_path, enable_api)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
