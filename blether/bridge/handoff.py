"""Live handoff on Telegram: runs the state machine's units of work, then sends what they owe.

The decisions are blether.handoff_flow's. Here each one runs in its own short transaction on a
worker thread (the event loop never waits on the database), commits, and only then are the
messages it recorded sent from the outbox, each deleted once Telegram has it. Relaying text
between a person and their worker changes no state and is sent straight away.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TypeVar

from sqlalchemy.orm import Session, sessionmaker
from telegram import Bot

from blether import referrals, worker_desk
from blether.bridge.outbox_sender import OutboxSender
from blether.clock import Clock, SystemClock
from blether.content import ContentLibrary
from blether.content.models import Worker, fill
from blether.handoff_flow import FEEDBACK, Answer, Flow
from blether.referrals import Referral
from blether.safety import SafetyMatch
from blether.sealing import unseal
from blether.splitting import split_message
from blether.workers import chat_of

logger = logging.getLogger("blether.bridge")
T = TypeVar("T")


@dataclass
class Handoff:
    library: ContentLibrary
    sessions: sessionmaker
    key: bytes
    offer_timeout: dt.timedelta
    # One sender for every owed message, shared with the check-ins (built here when not given).
    sender: OutboxSender | None = None
    offer_remind: dt.timedelta | None = None
    clock: Clock = field(default_factory=SystemClock)

    def __post_init__(self) -> None:
        if self.sender is None:
            self.sender = OutboxSender(self.sessions, self.key)

    # ---- who is who -----------------------------------------------------------------
    def workers(self) -> dict[str, Worker]:
        return {w.id: w for w in self.library.services().workers}

    def worker_at(self, chat_id: int) -> Worker | None:
        """The listed worker whose Telegram chat this is, if any."""
        return next((w for w in self.workers().values() if chat_of(w) == chat_id), None)

    async def active_for_person(self, person: str) -> Referral | None:
        return await self._unit(partial(referrals.active_for_person, person=person))

    def flow(self) -> Flow:
        return Flow(
            self.library.referral(),
            self.workers(),
            self.key,
            self.offer_timeout,
            self.offer_remind,
        )

    def now(self) -> dt.datetime:
        return self.clock.now()

    async def _unit(self, work: Callable[[Session], T]) -> T:
        """One unit of work, committed on a worker thread before anything is sent."""

        def run() -> T:
            with self.sessions.begin() as session:
                return work(session)

        return await asyncio.to_thread(run)

    # ---- state changes: commit, then send ---------------------------------------------
    async def offer_waiting(self, bot: Bot, now: dt.datetime) -> None:
        """Offer new referrals to their worker when on duty; re-offer those left unanswered."""
        flow = self.flow()
        await self._unit(lambda session: flow.offer_waiting(session, now))
        await self.send_owed(bot)

    async def answer_offer(self, bot: Bot, chat_id: int, data: str, now: dt.datetime) -> Answer:
        flow, worker = self.flow(), self.worker_at(chat_id)
        answer = await self._unit(
            lambda session: flow.answer_offer(session, worker, chat_id, data, now)
        )
        if answer is Answer.REFUSED:
            logger.warning("refused a referral answer from a chat that may not give it")
        await self.send_owed(bot)
        return answer

    async def end(
        self,
        bot: Bot,
        chat_id: int,
        person: str | None,
        now: dt.datetime,
        referral_id: int | None = None,
        forgotten: bool = False,
    ) -> bool:
        """/end from a worker (the chat they talk in, or `referral_id`) or /bot from the
        person; False if there was nothing of theirs to end. `forgotten`: before /forget."""
        flow = self.flow()
        worker = self.worker_at(chat_id) if person is None else None
        ended = await self._unit(
            lambda session: flow.end(
                session, chat_id, worker, person, now, referral_id, forgotten=forgotten
            )
        )
        await self.send_owed(bot)
        return ended

    async def feedback(self, bot: Bot, chat_id: int, person: str, data: str) -> bool | None:
        """A tap on "Did that help?": kept once, for the person's own closed referral. True
        when kept, False when their answer was kept already, None when it is not theirs."""
        try:
            referral_text, answer = data.removeprefix(FEEDBACK).split(":", 1)
            referral_id = int(referral_text)
        except ValueError:
            return None
        kept = await self._unit(
            partial(
                referrals.record_feedback,
                referral_id=referral_id,
                person=person,
                answer=answer,
            )
        )
        if kept:
            logger.info("feedback kept for referral %d", referral_id)
            await bot.send_message(chat_id, self.library.referral().feedback_thanks)
            return True
        answered = await self._unit(partial(referrals.get, referral_id=referral_id))
        mine = answered is not None and answered.person == person
        return False if mine and answered is not None and answered.feedback else None

    async def send_owed(self, bot: Bot) -> int:
        """Send every message the outbox holds (the check-ins' too), oldest first."""
        assert self.sender is not None
        return await self.sender.send_owed(bot)

    # ---- a worker's several chats -----------------------------------------------------
    async def from_worker(
        self, bot: Bot, worker: Worker, chat_id: int, text: str, replied_to: str | None = None
    ) -> int | None:
        """The worker's text to the person it is for (the chat of the message they replied
        to, else the one they talk in); the referral it went to, or None."""
        texts, now = self.library.referral(), self.now()

        def route(session: Session) -> worker_desk.Route:
            found = worker_desk.chat_for_message(session, worker.id, replied_to)
            if found.to is not None:
                worker_desk.first_reply(session, found.to, now)
            return found

        found = await self._unit(route)
        referral = found.to
        person = unseal(self.key, referral.contact) if referral and referral.contact else None
        if found.offered is not None:
            await bot.send_message(chat_id, fill(texts.worker_reply_offer, id=found.offered))
            return None
        if found.closed is not None:
            await bot.send_message(chat_id, fill(texts.worker_reply_closed, id=found.closed))
            return None
        if referral is None or person is None:
            await bot.send_message(chat_id, texts.no_open_chat)
            return None
        for piece in split_message(fill(texts.from_worker, name=worker.name, text=text)):
            await bot.send_message(person, piece)
        return referral.id

    async def list_chats(self, bot: Bot, worker: Worker, chat_id: int) -> None:
        texts = self.library.referral()
        listing = await self._unit(lambda session: worker_desk.chat_list(session, texts, worker.id))
        await bot.send_message(chat_id, listing)

    async def switch(self, bot: Bot, worker: Worker, chat_id: int, wanted: str) -> None:
        texts, now = self.library.referral(), self.now()
        said = await self._unit(
            lambda session: worker_desk.switch(session, texts, worker.id, wanted, now)
        )
        await bot.send_message(chat_id, said)

    async def saved_reply(self, bot: Bot, worker: Worker, chat_id: int, name: str) -> None:
        """/r NAME sends a saved reply to the chat the worker talks in; /r lists them."""
        texts = self.library.referral()
        saved = worker_desk.saved_reply(texts, self.library.worker_replies(), worker, name)
        if saved.text is None:
            for piece in split_message(saved.note):
                await bot.send_message(chat_id, piece)
            return
        referral_id = await self.from_worker(bot, worker, chat_id, saved.text)
        if referral_id is not None:
            sent = fill(texts.canned_sent, id=referral_id, text=saved.text)
            await bot.send_message(chat_id, sent)

    async def relay_to_worker(
        self, bot: Bot, referral: Referral, text: str, match: SafetyMatch | None
    ) -> bool:
        """Copy (never forward) the person's text to the worker, an emergency or a crisis
        (`match`, as the bridge read it) marked as one (the person has had its card). True if
        it was an emergency."""
        texts = self.library.referral()
        worker = self.workers().get(referral.worker_id or "")
        chat = chat_of(worker) if worker else None
        emergency = match is not None and match.topic == "emergency_overdose"
        crisis = match is not None and match.topic == "crisis_self_harm"
        template = (
            texts.emergency_to_worker
            if emergency
            else texts.crisis_to_worker
            if crisis
            else texts.to_worker
        )
        if chat is not None:
            # A long message reaches the worker whole, in pieces under Telegram's limit.
            for piece in split_message(fill(template, id=referral.id, text=text)):
                await bot.send_message(chat, piece)
        return emergency

    async def tell_worker(self, bot: Bot, referral: Referral, template: str) -> None:
        """A note to the worker about their chat (a card sent, something not passed on)."""
        worker = self.workers().get(referral.worker_id or "")
        chat = chat_of(worker) if worker else None
        if chat is not None:
            await bot.send_message(chat, fill(template, id=referral.id))

    def worker_name(self, referral: Referral) -> str:
        worker = self.workers().get(referral.worker_id or "")
        return worker.name if worker else "the worker"
