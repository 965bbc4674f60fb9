"""Talking to the Rasa server's REST channel through an injected httpx.AsyncClient.

With several Rasa replicas (RASA_URLS) each person always goes to the same one, chosen by
rendezvous hashing of their pseudonym: Rasa OSS's lock store does not stop two replicas from
handling one conversation at the same moment (rasa issue 9213), so one person's messages must
not be spread over replicas. A replica that cannot be reached is left out for a while; only its
people move, to the replica that ranks next for each of them, and they move back when it
answers again. The tracker store is shared (PostgreSQL), so nothing of their conversation is
lost in the move, and the Redis lock store is the second line while they move.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

import httpx

logger = logging.getLogger(__name__)

# How long a replica that could not be reached is left out before it is tried again.
REPLICA_RETRY_AFTER = 15.0


class RasaUnavailable(Exception):
    """Rasa (or the action server behind it) did not answer in time or answered with an error."""


class RasaLostTrack(RasaUnavailable):
    """Rasa closed the request without an answer.

    Blether's tracker store does that on purpose when it cannot read or keep the conversation
    (blether/tracker_store.py), rather than let Rasa carry on from an empty one in memory.
    """


def replica_order(sender: str, replicas: Sequence[str]) -> list[str]:
    """The replicas in this person's order of preference (rendezvous hashing; stable anywhere)."""

    def weight(url: str) -> bytes:
        return hashlib.sha256(f"{url}\n{sender}".encode()).digest()

    return sorted(replicas, key=weight, reverse=True)


class RasaClient:
    def __init__(
        self,
        http: httpx.AsyncClient,
        webhook_urls: str | Sequence[str],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._http = http
        self._urls = [webhook_urls] if isinstance(webhook_urls, str) else list(webhook_urls)
        if not self._urls:
            raise ValueError("no Rasa URL")
        self._clock = clock
        self._left_out_until: dict[str, float] = {}

    def replica_for(self, sender: str) -> str:
        """The first replica in this person's order that is not left out (or their first)."""
        order = replica_order(sender, self._urls)
        now = self._clock()
        return next((u for u in order if self._left_out_until.get(u, 0.0) <= now), order[0])

    async def _choose(self, sender: str) -> str:
        """As replica_for, but a replica whose time out is over must answer a quick probe
        before a person's message goes to it: a message never finds out that it is still down."""
        order = replica_order(sender, self._urls)
        for url in order:
            until = self._left_out_until.get(url)
            if until is None:
                return url
            if until > self._clock():
                continue
            if await self._answers(url):
                logger.info("rasa replica %d answers again", self._index(url))
                self._left_out_until.pop(url, None)
                return url
            self._left_out_until[url] = self._clock() + REPLICA_RETRY_AFTER
        return order[0]

    async def _answers(self, url: str) -> bool:
        try:
            response = await self._http.get(url.split("/webhooks/")[0] + "/", timeout=1.0)
            return response.status_code == 200
        except httpx.HTTPError:
            return False

    async def send(
        self, sender: str, text: str, metadata: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """One request per message; the replies in the order Rasa gave them."""
        body: dict[str, Any] = {"sender": sender, "message": text}
        if metadata:
            body["metadata"] = metadata
        url = await self._choose(sender) if len(self._urls) > 1 else self._urls[0]
        try:
            response = await self._http.post(url, json=body)
        except httpx.RemoteProtocolError as error:
            # Rasa closed the request on purpose (see RasaLostTrack), or the replica died.
            await self._leave_out_if_down(url)
            raise RasaLostTrack(type(error).__name__) from error
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.ReadError) as error:
            self._leave_out(url)
            raise RasaUnavailable(type(error).__name__) from error
        except httpx.HTTPError as error:
            raise RasaUnavailable(type(error).__name__) from error
        try:
            response.raise_for_status()
            replies = response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise RasaUnavailable(type(error).__name__) from error
        if not isinstance(replies, list):
            raise RasaUnavailable("unexpected reply")
        return [r for r in replies if isinstance(r, dict)]

    def _leave_out(self, url: str) -> None:
        if len(self._urls) > 1:
            logger.warning(
                "rasa replica %d unreachable; its people go to the next one", self._index(url)
            )
            self._left_out_until[url] = self._clock() + REPLICA_RETRY_AFTER

    async def _leave_out_if_down(self, url: str) -> None:
        """After a dropped request: leave the replica out only if it no longer answers at all."""
        if len(self._urls) > 1 and not await self._answers(url):
            self._leave_out(url)

    def _index(self, url: str) -> int:
        return self._urls.index(url) + 1
