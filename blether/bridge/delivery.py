"""Sending replies to a Telegram chat: split, escaped, with buttons as an inline keyboard."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import AsyncIterator, Mapping, MutableMapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.constants import ChatAction, ParseMode

from blether.replies import Reply
from blether.splitting import split_message, to_html

CALLBACK_LIMIT = 64  # bytes, Telegram's limit for callback_data
HASHED_PREFIX = "h:"
TYPING_REFRESH = 4.5  # seconds; Telegram shows "typing" for about five
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def callback_data(payload: str, long_payloads: MutableMapping[str, str]) -> str:
    """The payload itself when it fits in 64 bytes, otherwise a short key remembered here."""
    if len(payload.encode()) <= CALLBACK_LIMIT and not payload.startswith(HASHED_PREFIX):
        return payload
    key = HASHED_PREFIX + hashlib.sha256(payload.encode()).hexdigest()[:24]
    long_payloads[key] = payload
    return key


def payload_of(data: str, long_payloads: Mapping[str, str]) -> str | None:
    if data.startswith(HASHED_PREFIX):
        return long_payloads.get(data)
    return data


def from_rasa(message: Mapping[str, Any]) -> Reply | None:
    """A Rasa REST reply as a Reply; images, custom payloads and empty texts are skipped."""
    from blether.replies import Button

    text = str(message.get("text") or "").strip()
    buttons = tuple(
        Button(str(b.get("title", "")), str(b.get("payload", "")))
        for b in message.get("buttons") or []
        if b.get("title") and b.get("payload")
    )
    if not text:
        return None
    return Reply(text, buttons)


def instructions_from(raw: Sequence[Mapping[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """What Rasa's actions asked the bridge to do, as `custom` payloads {"blether": {...}}.

    Only the bridge can keep a timer and reach Telegram later, so the check-in form ends by
    asking it to start one: {"blether": {"checkin": {"minutes": 20, "notify": "worker"}}}.
    """
    wanted: dict[str, list[dict[str, Any]]] = {}
    for message in raw:
        custom = message.get("custom")
        if not isinstance(custom, Mapping) or not isinstance(custom.get("blether"), Mapping):
            continue
        for name, details in custom["blether"].items():
            if isinstance(details, Mapping):
                wanted.setdefault(str(name), []).append(dict(details))
    return wanted


def keyboard(reply: Reply, long_payloads: MutableMapping[str, str]) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    rows = [
        [InlineKeyboardButton(b.title[:60], callback_data=callback_data(b.payload, long_payloads))]
        for b in reply.buttons
    ]
    return InlineKeyboardMarkup(rows)


async def send_replies(
    bot: Bot, chat_id: int, replies: list[Reply], long_payloads: MutableMapping[str, str]
) -> int:
    """Send in order; buttons go on the last piece of a split message. Returns messages sent."""
    sent = 0
    for reply in replies:
        pieces = split_message(reply.text)
        for index, piece in enumerate(pieces):
            markup = keyboard(reply, long_payloads) if index == len(pieces) - 1 else None
            await bot.send_message(
                chat_id,
                to_html(piece),
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                link_preview_options=NO_PREVIEW,
            )
            sent += 1
    return sent


@asynccontextmanager
async def typing(bot: Bot, chat_id: int) -> AsyncIterator[None]:
    """Show "typing..." until the block ends, refreshing it while Rasa works."""

    async def keep_typing() -> None:
        while True:
            await bot.send_chat_action(chat_id, ChatAction.TYPING)
            await asyncio.sleep(TYPING_REFRESH)

    task = asyncio.create_task(keep_typing())
    try:
        yield
    finally:
        task.cancel()
        # "typing..." is best effort: a failed chat action must not fail the reply.
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
