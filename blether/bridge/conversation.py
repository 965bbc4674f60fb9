"""What the bridge decides for each person: pass to Rasa, answer itself, or hold back."""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from dataclasses import dataclass, field

from sqlalchemy.orm import sessionmaker
from telegram import Bot

from blether import referrals
from blether.bridge.delivery import from_rasa, send_replies, typing
from blether.bridge.handoff import Handoff
from blether.content import ContentError, ContentLibrary
from blether.erasure import erase_conversation
from blether.flood import FloodGate
from blether.pseudonym import pseudonym
from blether.rasa_client import RasaClient, RasaUnavailable
from blether.replies import CONTENT_UNAVAILABLE, Reply, menu_answer, topic_answer
from blether.safety import SafetyNet, SafetyNetSource
from blether.sealing import seal

logger = logging.getLogger("blether.bridge")


@dataclass
class Bridge:
    """Everything the handlers need, built once by build_application."""

    rasa: RasaClient
    library: ContentLibrary
    flood: FloodGate
    pseudonym_key: bytes
    tracker_sessions: sessionmaker
    max_message_chars: int
    handoff: Handoff
    long_payloads: dict[str, str] = field(default_factory=dict)
    # Updates are handled concurrently; one person's messages are still answered in order.
    _turns: weakref.WeakValueDictionary[str, asyncio.Lock] = field(
        default_factory=weakref.WeakValueDictionary
    )

    _net: SafetyNetSource = field(init=False)

    def __post_init__(self) -> None:
        # The same rules and normaliser as inside Rasa: content/safety.yml and language.yml.
        self._net = SafetyNetSource(self.library)

    def turn(self, person: str) -> asyncio.Lock:
        lock = self._turns.get(person)
        if lock is None:
            lock = self._turns[person] = asyncio.Lock()
        return lock

    def person(self, telegram_user_id: int) -> str:
        return pseudonym(self.pseudonym_key, telegram_user_id)

    async def send(self, bot: Bot, chat_id: int, replies: list[Reply]) -> None:
        await send_replies(bot, chat_id, replies, self.long_payloads)

    def card(self, topic_id: str) -> list[Reply]:
        try:
            return topic_answer(self.library, topic_id).replies
        except ContentError:
            return [Reply(CONTENT_UNAVAILABLE)]

    def menu(self, lead: str | None = None) -> list[Reply]:
        try:
            return menu_answer(self.library, lead).replies
        except ContentError:
            return [Reply(lead)] if lead else []

    def say(self, name: str) -> str:
        """One of the bridge's own texts; the safety numbers if content is unavailable."""
        try:
            return str(getattr(self.library.bridge(), name))
        except ContentError:
            return CONTENT_UNAVAILABLE

    def offline_answer(self, text: str) -> list[Reply]:
        """When Rasa cannot answer: the safety net still picks out an emergency or a crisis."""
        match = self.safety_net().check(text)
        if match is not None:
            return self.card(match.topic)
        return [Reply(self.say("unavailable"))]

    def safety_net(self) -> SafetyNet:
        return self._net.get()

    async def converse(
        self, bot: Bot, chat_id: int, person: str, text: str, notes: list[str] | None = None
    ) -> None:
        """To the worker during a handoff; otherwise to Rasa, or the bridge's own answer."""
        async with self.turn(person):
            await self._converse(bot, chat_id, person, text, notes)

    async def _converse(
        self, bot: Bot, chat_id: int, person: str, text: str, notes: list[str] | None
    ) -> None:
        referral = self.handoff.active_for_person(person)
        if referral is not None:
            if await self.handoff.relay_to_worker(bot, referral, text, self.safety_net()):
                await self.send(bot, chat_id, self.card("emergency_overdose"))
            return
        started = time.monotonic()
        # The sealed chat lets a worker's reply reach this person after a referral is made.
        metadata = {"contact": seal(self.pseudonym_key, chat_id)}
        async with typing(bot, chat_id):
            try:
                raw = await self.rasa.send(person, text, metadata)
                replies = [r for r in (from_rasa(m) for m in raw) if r is not None]
                if not replies:
                    raise RasaUnavailable("no reply")
            except RasaUnavailable as error:
                logger.warning("rasa unavailable (%s); answered by the bridge", error)
                replies = self.offline_answer(text)
        await self.send(bot, chat_id, [Reply(n) for n in notes or []] + replies)
        logger.info(
            "message answered in %.2fs with %d replies", time.monotonic() - started, len(replies)
        )

    def forget(self, person: str) -> int:
        """Everything kept about this person: the conversation and any referrals."""
        with self.tracker_sessions.begin() as session:
            erased = erase_conversation(session, person)
        with self.handoff.sessions.begin() as session:
            erased += referrals.erase_person(session, person)
        return erased
