"""Talking to the Rasa server's REST channel through an injected httpx.AsyncClient."""

from __future__ import annotations

from typing import Any

import httpx


class RasaUnavailable(Exception):
    """Rasa (or the action server behind it) did not answer in time or answered with an error."""


class RasaLostTrack(RasaUnavailable):
    """Rasa closed the request without an answer.

    Blether's tracker store does that on purpose when it cannot read or keep the conversation
    (blether/tracker_store.py), rather than let Rasa carry on from an empty one in memory.
    """


class RasaClient:
    def __init__(self, http: httpx.AsyncClient, webhook_url: str) -> None:
        self._http = http
        self._url = webhook_url

    async def send(
        self, sender: str, text: str, metadata: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """One request per message; the replies in the order Rasa gave them."""
        body: dict[str, Any] = {"sender": sender, "message": text}
        if metadata:
            body["metadata"] = metadata
        try:
            response = await self._http.post(self._url, json=body)
        except httpx.RemoteProtocolError as error:
            raise RasaLostTrack(type(error).__name__) from error
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
