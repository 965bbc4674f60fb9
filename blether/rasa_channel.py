"""Rasa's REST channel, without message text in its logs.

Rasa 3.6's RestInput logs the whole message text when a request times out or fails
(`rest.message.received.timeout` / `.failure`, with a traceback whose exception text can carry
SQL parameters). This channel is the same endpoint (`/webhooks/rest/webhook`, named "rest" so
the URL does not change) with those two log lines reduced to what happened. The streaming
variant is not offered: the bridge never asks for it.
"""

from __future__ import annotations

import logging
import traceback
from asyncio import CancelledError
from collections.abc import Awaitable, Callable

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)


class PrivateRestInput(RestInput):
    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        webhook = Blueprint("blether_rest_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            sender_id = await self._extract_sender(request)
            text = self._extract_message(request)
            collector = CollectingOutputChannel()
            message = UserMessage(
                text,
                collector,
                sender_id,
                input_channel=self.name(),
                metadata=self.get_metadata(request),
            )
            try:
                await on_new_message(message)
            except CancelledError:
                logger.error("a message was still being handled when its caller gave up")
            except Exception as error:  # noqa: BLE001 - Rasa's channel answers what it has
                frame = traceback.extract_tb(error.__traceback__)[-1]
                logger.error(
                    "handling a message failed: %s at %s:%s",
                    type(error).__name__,
                    frame.filename,
                    frame.lineno,
                )
            return response.json(collector.messages)

        return webhook
