"""Updates into the inbox before Telegram is told they arrived; answered ones marked; replays.

python-telegram-bot confirms updates to Telegram (polling: the next getUpdates offset; webhook:
the 200 answer) only after it has put them on its update queue. This queue writes each update
to the inbox first, so an update that reached the queue survives a crash, and a copy Telegram
sends again is dropped. After a restart, stored updates that were never answered are put back
on the queue, in order, before anything new.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import sessionmaker
from telegram import Bot, Update
from telegram.error import TelegramError

from blether import inbox
from blether.pseudonym import pseudonym
from blether.referrals import utc_now
from blether.sealing import seal_text, unseal_text

logger = logging.getLogger("blether.bridge")
# Answers to updates that waited longer than this (a restart) start with an apology.
DELAYED_AFTER = dt.timedelta(minutes=1)
# An unanswered update this old is not answered any more: a "yes" or an area from hours ago
# would land in whatever the conversation is now. It is dropped (and logged).
TOO_OLD = dt.timedelta(hours=1)
# Left by another bridge that stopped (not in hand here): answered by the timer bridge once
# this old, which no turn takes (RASA_TIMEOUT is 30 s).
ORPHANED_AFTER = dt.timedelta(minutes=2)


def kind_of(update: Update) -> str:
    """What an update is, in one word, for the inbox (never its text)."""
    if update.callback_query is not None:
        return "button"
    if update.edited_message is not None:
        return "edit"
    message = update.message
    if message is None:
        return "other"
    if message.text is None:
        return "not_text"
    return "command" if message.text.startswith("/") else "text"


class InboxQueue(asyncio.Queue):  # type: ignore[type-arg]
    """python-telegram-bot's update queue, storing each update before it is queued."""

    def __init__(self, keep: Callable[[Update], Awaitable[bool]]) -> None:
        super().__init__()
        self._keep = keep

    async def put(self, item: Any) -> None:
        # Anything that is not an update (python-telegram-bot's stop signal) passes straight on.
        if isinstance(item, Update) and not await self._keep(item):
            logger.info("dropped a copy of an update that was already received")
            return
        await super().put(item)

    async def replay(self, item: Update) -> None:
        """An update already in the inbox, from before a restart."""
        await super().put(item)


class Intake:
    """The bridge's side of the inbox: seal, store, mark answered, replay."""

    def __init__(
        self,
        sessions: sessionmaker,
        key: bytes,
        now: Callable[[], dt.datetime] = utc_now,
    ) -> None:
        self._sessions = sessions
        self._key = key
        self._now = now
        self.queue = InboxQueue(self.keep)
        # Updates this process has queued and not yet answered: never replayed from here.
        self._in_hand: set[int] = set()

    async def keep(self, update: Update) -> bool:
        """Store a new update (True), or recognise a copy (False)."""
        try:
            kept = await asyncio.to_thread(self._store, update)
        except Exception as error:  # noqa: BLE001 - must not stop polling: handle it unstored
            logger.error("inbox failed (%s); handling an update unstored", type(error).__name__)
            kept = True
        if kept:
            self._in_hand.add(update.update_id)
        return kept

    def _store(self, update: Update) -> bool:
        user = update.effective_user
        person = pseudonym(self._key, user.id) if user is not None else None
        payload = seal_text(self._key, update.to_json())
        try:
            with self._sessions.begin() as session:
                return inbox.store(
                    session, update.update_id, person, kind_of(update), payload, self._now()
                )
        except IntegrityError:
            return False  # stored a moment ago by another bridge: a copy
        except SQLAlchemyError as error:
            # Answering matters more than keeping a copy: handle it, and say so in the log.
            logger.error(
                "inbox unavailable (%s); handling an update unstored", type(error).__name__
            )
            return True

    async def answered(self, update: object) -> None:
        """After an update's turn: its text and whose it was go, its id stays a while."""
        if isinstance(update, Update):
            self._in_hand.discard(update.update_id)
            await asyncio.to_thread(self._mark, update.update_id)

    def _mark(self, update_id: int) -> None:
        try:
            with self._sessions.begin() as session:
                inbox.mark_answered(session, update_id, self._now())
        except SQLAlchemyError as error:
            logger.error("could not mark an update answered (%s)", type(error).__name__)

    def _pending(self) -> list[inbox.Stored]:
        with self._sessions.begin() as session:
            inbox.purge_answered(session, self._now())
            return inbox.pending(session)

    async def replay_pending(
        self, bot: Bot, apology: Callable[[], str], older_than: dt.timedelta | None = None
    ) -> int:
        """Queue what was stored and never answered, oldest first; returns how many.

        At start every such update; later (`older_than`) only those left long enough that no
        bridge can still have them in hand. One older than TOO_OLD is dropped instead. A person
        whose messages waited over a minute is told first, once, why it was slow.
        """
        try:
            found = await asyncio.to_thread(self._pending)
        except SQLAlchemyError as error:
            logger.error("could not read the inbox (%s)", type(error).__name__)
            return 0
        now = self._now()
        stored = [
            row
            for row in found
            if row.update_id not in self._in_hand
            and (older_than is None or now - row.received_at > older_than)
        ]
        apologised: set[int] = set()
        replayed = 0
        for row in stored:
            if now - row.received_at > TOO_OLD:
                logger.warning("an update unanswered for over an hour was dropped, not replayed")
                await asyncio.to_thread(self._mark, row.update_id)
                continue
            opened = unseal_text(self._key, row.payload)
            update = Update.de_json(json.loads(opened), bot) if opened is not None else None
            if update is None:
                logger.error("an inbox row could not be opened (key changed?); dropped")
                await asyncio.to_thread(self._mark, row.update_id)
                continue
            chat = update.effective_chat
            waited = now - row.received_at
            private = chat is not None and chat.type == chat.PRIVATE
            if (
                chat is not None
                and private
                and waited > DELAYED_AFTER
                and chat.id not in apologised
            ):
                apologised.add(chat.id)
                try:
                    await bot.send_message(chat.id, apology())
                except TelegramError as error:  # the answers themselves still go
                    logger.warning("could not send the delay note (%s)", type(error).__name__)
            self._in_hand.add(row.update_id)
            await self.queue.replay(update)
            replayed += 1
        if replayed:
            logger.info("replaying %d updates stored and never answered", replayed)
        return replayed
