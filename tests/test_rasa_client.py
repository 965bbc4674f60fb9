"""RasaClient against a real local HTTP server standing in for Rasa's REST channel."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from blether.rasa_client import (
    REPLICA_RETRY_AFTER,
    RasaClient,
    RasaLostTrack,
    RasaUnavailable,
    replica_order,
)


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

    def do_GET(self) -> None:  # noqa: N802 - Rasa's "hello" page, for the replica probe
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

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


def test_each_person_keeps_to_one_replica_and_people_spread_over_them() -> None:
    replicas = ["http://rasa-1/webhooks/rest/webhook", "http://rasa-2/webhooks/rest/webhook"]
    client = RasaClient(httpx.AsyncClient(), replicas)
    people = [f"tg-person-{n}" for n in range(200)]
    first = {person: client.replica_for(person) for person in people}
    assert all(client.replica_for(person) == first[person] for person in people)
    shares = [list(first.values()).count(url) for url in replicas]
    assert min(shares) > 60  # rendezvous hashing spreads them, roughly half each
    # The order is the same in any process (no per-process hash seed).
    assert replica_order("tg-person-1", replicas) == replica_order("tg-person-1", replicas[::-1])


async def test_a_replica_that_cannot_be_reached_hands_only_its_people_on(server: str) -> None:
    dead = "http://127.0.0.1:9/webhooks/rest/webhook"
    live = f"{server}/ok"
    now = [1000.0]
    async with httpx.AsyncClient() as http:
        client = RasaClient(http, [dead, live], clock=lambda: now[0])
        on_dead = next(p for p in (f"tg-{n}" for n in range(50)) if client.replica_for(p) == dead)
        on_live = next(p for p in (f"tg-{n}" for n in range(50)) if client.replica_for(p) == live)
        with pytest.raises(RasaUnavailable):  # this message gets the bridge's own answer
            await client.send(on_dead, "hiya")
        assert (await client.send(on_dead, "hiya again"))[0]["text"] == "you said hiya again"
        assert client.replica_for(on_live) == live
        # Later the dead replica is probed first, not tried with a message: still down, so
        # the person's next message goes to the live one again.
        now[0] += REPLICA_RETRY_AFTER + 1
        assert (await client.send(on_dead, "still here"))[0]["text"] == "you said still here"


async def test_a_replica_that_answers_again_gets_its_people_back(server: str) -> None:
    first, second = f"{server}/ok", f"http://localhost:{server.rsplit(':', 1)[1]}/ok"
    now = [1000.0]
    async with httpx.AsyncClient() as http:
        client = RasaClient(http, [first, second], clock=lambda: now[0])
        person = next(p for p in (f"tg-{n}" for n in range(50)) if client.replica_for(p) == first)
        client._leave_out(first)  # as after a failed request
        assert client.replica_for(person) == second
        now[0] += REPLICA_RETRY_AFTER + 1
        await client.send(person, "hiya")
        assert client.replica_for(person) == first
