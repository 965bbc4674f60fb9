"""Check-ins and trusted contacts on Telegram: runs the flows' units of work, then sends.

The decisions are blether.checkin_flow's and blether.contact_flow's. Here each runs in one
short transaction on a worker thread; what it owes is sent from the outbox after the commit.
A direct answer to whoever acted (a contact opening a link) is sent straight away.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

from blether import checkins
from blether.bridge.outbox_sender import OutboxSender
from blether.checkin_flow import ACK, CheckinFlow, Outcome
from blether.checkin_setup import stopping
from blether.clock import Clock
from blether.contact_flow import ContactFlow, Said
from blether.content import ContentLibrary
from blether.content.models import Worker
from blether.sealing import seal
from blether.text import comparable

logger = logging.getLogger("blether.bridge")
NO_NOTE = frozenset({"skip", "no", "nah", "naw", "nope", "nothing", "none", "no note", "no ta"})


@dataclass(frozen=True)
class CheckinTimes:
    grace: dt.timedelta
    ack_timeout: dt.timedelta
    close_after: dt.timedelta


@dataclass
class Checkins:
    library: ContentLibrary
    sender: OutboxSender
    key: bytes
    clock: Clock
    times: CheckinTimes

    def flow(self) -> CheckinFlow:
        workers = {w.id: w for w in self.library.services().workers}
        t = self.times
        return CheckinFlow(
            self.library.checkin(), workers, self.key, t.grace, t.ack_timeout, t.close_after
        )

    def contact_flow(self) -> ContactFlow:
        return ContactFlow(self.library.checkin())

    def undeliverable(
        self, session: Session, checkin_id: int, data: str, chat: str, now: dt.datetime
    ) -> None:
        """The outbox gave up on a check-in message: if it was an alert, tell someone else."""
        if data.startswith(ACK):
            self.flow().undeliverable(session, checkin_id, chat, now)

    async def _send(self, bot: Bot) -> None:
        await self.sender.send_owed(bot)

    # ---- the timer (only on the bridge holding the timer lock) ---------------------------
    async def tick(self, bot: Bot) -> int:
        flow, now = self.flow(), self.clock.now()
        moves = await self.sender.unit(lambda session: flow.tick(session, now))
        await self._send(bot)
        return moves

    # ---- the person -------------------------------------------------------------------
    async def start(self, bot: Bot, chat_id: int, person: str, minutes: int, notify: str) -> None:
        flow, now, chat = self.flow(), self.clock.now(), seal(self.key, chat_id)
        await self.sender.unit(
            lambda session: flow.start(
                session, person=person, chat=chat, minutes=minutes, notify=notify, now=now
            )
        )
        await self._send(bot)

    async def on_message(
        self, bot: Bot, person: str, text: str, send_card: Callable[[], Awaitable[None]]
    ) -> bool:
        """A typed message: the note if one is awaited, or an answer to a waiting check.

        True when the check-in took it: a note, or an answer to a waiting check (a plain
        "I'm OK" ends it; anything else is asked "are you OK?" again, so that nothing else comes
        between). Otherwise it goes on to Rasa (or the worker) as usual.
        """
        flow, now = self.flow(), self.clock.now()
        says_ok = says_ok_only(text, flow.texts.ok_words)
        # Whole phrases only: "ok" alone must never read as "not ok".
        says_help = comparable(text) in flow.texts.help_words

        # "no", "skip", "stop" at the note prompt mean no note (never a note that says "stop").
        note = None if stopping(text) or comparable(text) in NO_NOTE else text

        def work(session: Session) -> tuple[bool, Outcome]:
            if flow.take_note(session, person, note, now):
                return True, Outcome.DONE
            if says_help:
                return False, flow.typed_help(session, person, now)
            return False, flow.answer(session, person, says_ok, now)

        noted, outcome = await self.sender.unit(work)
        if outcome is Outcome.NEEDS_HELP:
            # Typed "help" while a check waits: the emergency card first, as for the button.
            await send_card()
        if noted or outcome is not Outcome.NOTHING:
            await self._send(bot)
        return noted or outcome in (
            Outcome.DONE,
            Outcome.LATE,
            Outcome.ASKED_AGAIN,
            Outcome.NEEDS_HELP,
        )

    async def tap(self, bot: Bot, person: str, data: str) -> Outcome:
        flow, now = self.flow(), self.clock.now()
        outcome = await self.sender.unit(lambda session: flow.tap(session, person, data, now))
        await self._send(bot)
        return outcome

    async def status(self, person: str) -> tuple[str, tuple[tuple[str, str], ...]] | None:
        """The running check-in, as a line and buttons for /checkin; None when none runs."""
        flow = self.flow()
        running = await self.sender.unit(lambda session: checkins.current(session, person))
        if running is None:
            return None
        return flow.status_of(running)

    async def acknowledge(
        self, bot: Bot, chat_id: int, by_person: str, worker: Worker | None, data: str
    ) -> None:
        flow, now = self.flow(), self.clock.now()
        outcome, text = await self.sender.unit(
            lambda session: flow.acknowledge(session, data, by_person, worker, now)
        )
        if outcome is Outcome.REFUSED:
            logger.warning("refused an acknowledgement from a chat that was not alerted")
        if text:
            await bot.send_message(chat_id, text)
        await self._send(bot)

    # ---- trusted contacts ---------------------------------------------------------------
    async def _contact_unit(self, bot: Bot, chat_id: int, work) -> None:  # type: ignore[no-untyped-def]
        said: Said = await self.sender.unit(work)
        await bot.send_message(chat_id, said.text, reply_markup=_buttons(said.buttons))
        await self._send(bot)

    async def invite(self, bot: Bot, chat_id: int, person: str, name: str) -> None:
        flow, now, chat = self.contact_flow(), self.clock.now(), seal(self.key, chat_id)
        username = bot.username
        await self._contact_unit(
            bot, chat_id, lambda s: flow.invite(s, person, chat, name, username, now)
        )

    async def open_invite(self, bot: Bot, chat_id: int, opener: str, code: str) -> None:
        flow, now = self.contact_flow(), self.clock.now()
        await self._contact_unit(bot, chat_id, lambda s: flow.open(s, code, opener, now))

    async def answer_invite(self, bot: Bot, chat_id: int, opener: str, data: str) -> None:
        flow, now, chat = self.contact_flow(), self.clock.now(), seal(self.key, chat_id)
        await self._contact_unit(bot, chat_id, lambda s: flow.answer(s, data, opener, chat, now))

    async def remove_contact(self, bot: Bot, chat_id: int, person: str) -> None:
        flow, now = self.contact_flow(), self.clock.now()
        await self._contact_unit(bot, chat_id, lambda s: flow.remove(s, person, now))

    async def withdraw(self, bot: Bot, chat_id: int, contact_person: str) -> None:
        flow, now = self.contact_flow(), self.clock.now()
        await self._contact_unit(bot, chat_id, lambda s: flow.withdraw(s, contact_person, now))


def says_ok_only(text: str, ok_words: list[str]) -> bool:
    """ "OK", "Aye, I'm fine!", "still here x": nothing but words from `ok_words`."""
    said = comparable(text)
    if said in ok_words:
        return True
    vocabulary = {word for phrase in ok_words for word in phrase.split()}
    words = said.split()
    return bool(words) and all(word in vocabulary for word in words)


def _buttons(buttons: tuple[tuple[str, str], ...]) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(title, callback_data=data)] for title, data in buttons]
    )
