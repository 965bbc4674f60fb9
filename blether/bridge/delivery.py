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
TYPING_STOP_WAIT = 1.0  # seconds a reply waits for the "typing" refresher to stop
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
    """Show "typing..." until the block ends, refreshing it while Rasa works.

    The refresher is stopped by a flag as well as cancelled, and never waited for long: a
    cancel that arrives while python-telegram-bot's httpx opens a connection can be swallowed
    by anyio (agronholm/anyio#1214), and the refresher then loops on. Waiting for it to end
    held a person's reply, and every later message of theirs, for good (the scale-out test
    caught it under load).
    """
    stop = asyncio.Event()

    async def keep_typing() -> None:
        while not stop.is_set():
            await bot.send_chat_action(chat_id, ChatAction.TYPING)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), TYPING_REFRESH)

    task = asyncio.create_task(keep_typing())
    # "typing..." is best effort: its failure is read here so it is never reported as lost.
    task.add_done_callback(lambda done: done.cancelled() or done.exception())
    try:
        yield
    finally:
        stop.set()
        task.cancel()
        await asyncio.wait({task}, timeout=TYPING_STOP_WAIT)
