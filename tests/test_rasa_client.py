"""RasaClient against a real local HTTP server standing in for Rasa's REST channel."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from blether.rasa_client import RasaClient, RasaLostTrack, RasaUnavailable


class Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self.path == "/broken":
            self.send_response(500)
            self.end_headers()
            return
        if self.path == "/dropped":  # what Rasa does when its tracker store is down
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        reply = [{"recipient_id": body["sender"], "text": f"you said {body['message']}"}, "junk"]
        payload = json.dumps(reply if self.path == "/ok" else {"not": "a list"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


async def test_one_request_per_message_and_replies_in_order(server: str) -> None:
    async with httpx.AsyncClient() as http:
        replies = await RasaClient(http, f"{server}/ok").send("tg-abc", "hiya")
    assert replies == [{"recipient_id": "tg-abc", "text": "you said hiya"}]


@pytest.mark.parametrize("path", ["/broken", "/odd"])
async def test_errors_become_rasa_unavailable(server: str, path: str) -> None:
    async with httpx.AsyncClient() as http:
        with pytest.raises(RasaUnavailable):
            await RasaClient(http, f"{server}{path}").send("tg-abc", "hiya")


async def test_nothing_listening_is_rasa_unavailable() -> None:
    async with httpx.AsyncClient(timeout=2) as http:
        with pytest.raises(RasaUnavailable):
            await RasaClient(http, "http://127.0.0.1:9/webhook").send("tg-abc", "hiya")


async def test_a_request_dropped_without_an_answer_means_rasa_lost_track(server: str) -> None:
    async with httpx.AsyncClient() as http:
        with pytest.raises(RasaLostTrack):
            await RasaClient(http, f"{server}/dropped").send("tg-abc", "hiya")
        # A plain error is not mistaken for it.
        with pytest.raises(RasaUnavailable) as plain:
            await RasaClient(http, f"{server}/broken").send("tg-abc", "hiya")
        assert not isinstance(plain.value, RasaLostTrack)
