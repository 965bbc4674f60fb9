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
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

from sqlalchemy.orm import Session, sessionmaker
from telegram import Bot

from blether import referrals
from blether.bridge.outbox_sender import OutboxSender
from blether.content import ContentLibrary
from blether.content.models import Worker, fill
from blether.handoff_flow import Answer, Flow
from blether.referrals import Referral
from blether.safety import SafetyNet
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
        return Flow(self.library.referral(), self.workers(), self.key, self.offer_timeout)

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

    async def end(self, bot: Bot, chat_id: int, person: str | None, now: dt.datetime) -> bool:
        """/end from a worker or /bot from the person; False if there was nothing to end."""
        flow = self.flow()
        worker = self.worker_at(chat_id) if person is None else None
        ended = await self._unit(lambda session: flow.end(session, chat_id, worker, person, now))
        await self.send_owed(bot)
        return ended

    async def send_owed(self, bot: Bot) -> int:
        """Send every message the outbox holds (the check-ins' too), oldest first."""
        assert self.sender is not None
        return await self.sender.send_owed(bot)

    # ---- relaying: no state changes ---------------------------------------------------
    async def from_worker(self, bot: Bot, worker: Worker, chat_id: int, text: str) -> None:
        texts = self.library.referral()
        referral = await self._unit(partial(referrals.active_for_worker, worker_id=worker.id))
        person = unseal(self.key, referral.contact) if referral and referral.contact else None
        if referral is None or person is None:
            await bot.send_message(chat_id, texts.no_open_chat)
            return
        await bot.send_message(person, fill(texts.from_worker, name=worker.name, text=text))

    async def relay_to_worker(
        self, bot: Bot, referral: Referral, text: str, net: SafetyNet
    ) -> bool:
        """Copy (never forward) the person's text to the worker. True if it was an emergency."""
        texts = self.library.referral()
        worker = self.workers().get(referral.worker_id or "")
        chat = chat_of(worker) if worker else None
        match = net.check(text)
        emergency = match is not None and match.topic == "emergency_overdose"
        template = texts.emergency_to_worker if emergency else texts.to_worker
        if chat is not None:
            # A long message reaches the worker whole, in pieces under Telegram's limit.
            for piece in split_message(fill(template, id=referral.id, text=text)):
                await bot.send_message(chat, piece)
        return emergency
