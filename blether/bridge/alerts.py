"""Drug alerts in the bridge: the /alerts menu, and sending published alerts to subscribers.

The menu translates taps into `blether.broadcasts` changes. The broadcaster sends what
`blether alerts publish` queued: a few senders share one limiter that keeps the broadcast
under Telegram's overall limit (the bot's own rate limiter holds every message to it too), so
conversations still get through while an alert goes out. Each delivery is claimed, sent, then
recorded in its own short transaction; a stop hands back what it claimed and did not send.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import TypeVar

from aiolimiter import AsyncLimiter
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from telegram import Bot
from telegram.error import Forbidden, TelegramError

from blether import alert_menu, alerts, broadcasts
from blether.bridge.delivery import send_replies
from blether.bridge.units import in_unit
from blether.clock import Clock, SystemClock
from blether.content import ContentError, ContentLibrary
from blether.content.alert_models import local_areas
from blether.content.models import fill
from blether.replies import CONTENT_UNAVAILABLE, Reply
from blether.sealing import seal, unseal

logger = logging.getLogger("blether.bridge")
T = TypeVar("T")
RECORD_ATTEMPTS = 4


@dataclass
class AlertDesk:
    """The /alerts menu for one person at a time."""

    library: ContentLibrary
    sessions: sessionmaker
    key: bytes
    clock: Clock = SystemClock()  # noqa: RUF009 - stateless, safe to share
    long_payloads: dict[str, str] = field(default_factory=dict)

    async def unit(self, work: Callable[[Session], T]) -> T:
        return await in_unit(self.sessions, work)

    def _areas(self) -> list[str]:
        return local_areas(self.library.services())

    async def show(self, bot: Bot, chat_id: int, person: str, lead: str = "") -> None:
        try:
            texts, areas = self.library.alert_texts(), self._areas()
        except ContentError:
            await send_replies(bot, chat_id, [Reply(CONTENT_UNAVAILABLE)], self.long_payloads)
            return
        subscribed = await self.unit(partial(broadcasts.areas_of, person=person))
        reply = alert_menu.menu(texts, areas, subscribed, lead)
        await send_replies(bot, chat_id, [reply], self.long_payloads)

    async def tap(self, bot: Bot, chat_id: int, person: str, data: str) -> None:
        try:
            texts, areas = self.library.alert_texts(), self._areas()
        except ContentError:
            await send_replies(bot, chat_id, [Reply(CONTENT_UNAVAILABLE)], self.long_payloads)
            return
        tap = alert_menu.read(data, areas)
        if tap is None or tap.action == "menu":
            await self.show(bot, chat_id, person)
            return
        if tap.action == "done":
            subscribed = await self.unit(partial(broadcasts.areas_of, person=person))
            await send_replies(
                bot, chat_id, [Reply(alert_menu.status(texts, subscribed))], self.long_payloads
            )
            return
        if tap.action == "stop":
            await self.unit(partial(broadcasts.unsubscribe, person=person))
            await send_replies(bot, chat_id, [Reply(texts.stopped_all)], self.long_payloads)
            return
        assert tap.area is not None  # add and drop always carry a known area
        shown_area = alerts.areas_text([tap.area], texts)
        if tap.action == "drop":
            gone = await self.unit(partial(broadcasts.unsubscribe, person=person, area=tap.area))
            lead = fill(texts.unsubscribed, area=shown_area) if gone else ""
            await self.show(bot, chat_id, person, lead)
            return
        sealed = seal(self.key, chat_id)
        now = self.clock.now()
        new = await self.unit(
            partial(broadcasts.subscribe, person=person, chat=sealed, area=tap.area, now=now)
        )
        # What is current there already: a new subscriber should not wait for the next one
        # (once: a second tap on an old menu shows only the menu).
        current = alerts.current(self.library.alerts(), now.date(), area=tap.area) if new else []
        replies = [Reply(alerts.render(a, texts)) for a in current[: alerts.ON_REQUEST]]
        if replies:
            await send_replies(bot, chat_id, replies, self.long_payloads)
        await self.show(bot, chat_id, person, fill(texts.subscribed, area=shown_area))


@dataclass
class Broadcaster:
    """Sends queued alert deliveries at `rate` messages a second with `senders` in flight."""

    sessions: sessionmaker
    key: bytes
    rate: float
    senders: int
    _limiter: AsyncLimiter = field(init=False)
    _claiming: asyncio.Lock = field(init=False)

    def __post_init__(self) -> None:
        # One message per 1/rate seconds, no bursts: any second holds at most rate + 1.
        self._limiter = AsyncLimiter(1, 1 / self.rate)
        self._claiming = asyncio.Lock()

    async def unit(self, work: Callable[[Session], T]) -> T:
        return await in_unit(self.sessions, work)

    async def send_waiting(self, bot: Bot) -> Counter[str]:
        """Send every queued delivery; how many were sent, failed, blocked or put back."""
        outcomes: Counter[str] = Counter()
        senders = [asyncio.create_task(self._sender(bot, outcomes)) for _ in range(self.senders)]
        try:
            await asyncio.gather(*senders)
        except asyncio.CancelledError:
            # A stop: each sender was cancelled once with the gather and is finishing the
            # message in hand or handing its claim back. The gather gives up at the first one
            # done, so the others are waited for here (cancelling again would cut them short).
            await asyncio.gather(*senders, return_exceptions=True)
            raise
        except Exception:
            # A sender that failed must not leave the others running on their own (they would
            # pile up round after round).
            for sender in senders:
                sender.cancel()
            await asyncio.gather(*senders, return_exceptions=True)
            raise
        return outcomes

    async def _one_at_a_time(self, work: Callable[[Session], T]) -> T:
        """The senders' transactions one at a time: SQLite refuses, rather than waits for, a
        transaction that reads then writes while another one writes."""
        async with self._claiming:
            return await self.unit(work)

    async def _claim(self) -> broadcasts.Delivery | None:
        """The next delivery, claimed. A stop during the claim still returns it, so that it
        is handed back."""
        # Claims are about real time (a crash mid-send), never a test's clock.
        claiming = asyncio.ensure_future(
            self._one_at_a_time(partial(broadcasts.claim_next, now=SystemClock().now()))
        )
        try:
            return await asyncio.shield(claiming)
        except asyncio.CancelledError:
            claimed = await claiming
            if claimed is not None:
                await self._one_at_a_time(partial(broadcasts.release, delivery_id=claimed.id))
            raise

    async def _sender(self, bot: Bot, outcomes: Counter[str]) -> None:
        while True:
            try:
                delivery = await self._claim()
            except SQLAlchemyError as error:
                logger.error("could not claim an alert delivery (%s)", type(error).__name__)
                return  # the next round tries again
            if delivery is None:
                return
            try:
                await self._limiter.acquire()
            except asyncio.CancelledError:
                await self._one_at_a_time(partial(broadcasts.release, delivery_id=delivery.id))
                raise
            # Once the send has started it is finished and recorded, even during a stop:
            # a message sent and not recorded would go again after a restart.
            sending = asyncio.ensure_future(self._send(bot, delivery))
            try:
                outcomes[await asyncio.shield(sending)] += 1
            except asyncio.CancelledError:
                outcomes[await sending] += 1
                raise

    async def _send(self, bot: Bot, delivery: broadcasts.Delivery) -> str:
        chat = unseal(self.key, delivery.chat)
        now = SystemClock().now()
        try:
            if chat is None:
                raise ValueError("sealed with another key")
            await bot.send_message(chat, delivery.text)
        except Forbidden:
            await self._record(partial(broadcasts.blocked, delivery_id=delivery.id, now=now))
            logger.info("an alert was not delivered: the bot is blocked (unsubscribed)")
            return broadcasts.BLOCKED
        except (TelegramError, ValueError) as error:
            gone = await self._record(partial(broadcasts.failed, delivery=delivery, now=now))
            logger.warning(
                "an alert could not be sent (%s)%s",
                type(error).__name__,
                "; given up" if gone else "; will try again",
            )
            return broadcasts.FAILED if gone else "retry"
        await self._record(partial(broadcasts.delivered, delivery_id=delivery.id, now=now))
        return broadcasts.SENT

    async def _record(self, work: Callable[[Session], T]) -> T | None:
        """What happened to a send, written down; a busy or failing database is tried again
        for a few seconds, then logged (the delivery is then sent again after CLAIM_EXPIRES)."""
        for attempt in range(RECORD_ATTEMPTS):
            try:
                return await self._one_at_a_time(work)
            except SQLAlchemyError as error:
                if attempt == RECORD_ATTEMPTS - 1:
                    logger.error("could not record an alert delivery (%s)", type(error).__name__)
                    return None
                await asyncio.sleep(0.5 * (attempt + 1))
        return None
