"""Sending what the outbox holds: the handoff's and the check-ins' messages alike.

Each message is claimed in its own short transaction, sent, then deleted; a failed send is
tried again later, and one Telegram refuses for good (the bot blocked) is given up at once.
When an alert cannot be delivered, the check-in flow is told in the same transaction that
gives the message up, so that someone else is alerted instead.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

from sqlalchemy.orm import Session, sessionmaker
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import Forbidden, TelegramError

from blether import outbox
from blether.bridge.units import in_unit
from blether.clock import Clock, SystemClock
from blether.sealing import unseal

logger = logging.getLogger("blether.bridge")
T = TypeVar("T")
# Told when a check-in's message that needed an answer could not be delivered: (session,
# check-in id, buttons' callback data, the sealed chat it was for, now).
Undeliverable = Callable[[Session, int, str, str, dt.datetime], object]


@dataclass
class OutboxSender:
    sessions: sessionmaker
    key: bytes
    clock: Clock = SystemClock()  # noqa: RUF009 - stateless, safe to share
    undeliverable: Undeliverable | None = None

    async def unit(self, work: Callable[[Session], T]) -> T:
        """One unit of work, committed on a worker thread before anything is sent."""
        return await in_unit(self.sessions, work)

    async def send_owed(self, bot: Bot) -> int:
        """Send every message the outbox holds, oldest first; returns how many went."""
        sent = 0
        while True:
            # Claims are about this process's real time (a crash mid-send), not the clock
            # check-ins run on, which tests move.
            owed = await self.unit(partial(outbox.claim_next, now=SystemClock().now()))
            if owed is None:
                return sent
            chat = unseal(self.key, owed.message.chat)
            try:
                if chat is None:
                    raise ValueError("sealed with another key")
                await bot.send_message(chat, owed.message.text, reply_markup=keyboard(owed))
            except (TelegramError, ValueError) as error:
                dropped = await self.unit(
                    partial(self._failed, owed=owed, for_good=isinstance(error, Forbidden))
                )
                logger.warning(
                    "an owed message could not be sent (%s)%s",
                    type(error).__name__,
                    "; given up" if dropped else "; will try again",
                )
                continue
            await self.unit(partial(outbox.sent, owed_id=owed.id))
            sent += 1

    def _failed(self, session: Session, owed: outbox.Owed, for_good: bool) -> bool:
        dropped = outbox.failed(session, owed, for_good=for_good)
        if dropped and owed.checkin_id is not None and self.undeliverable and owed.message.buttons:
            data = owed.message.buttons[0][1]
            self.undeliverable(session, owed.checkin_id, data, owed.message.chat, self.clock.now())
        return dropped


def keyboard(owed: outbox.Owed) -> InlineKeyboardMarkup | None:
    if not owed.message.buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(title, callback_data=data) for title, data in owed.message.buttons]]
    )
