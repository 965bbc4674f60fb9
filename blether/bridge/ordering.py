"""One turn at a time per person, for every kind of update, in the order Telegram sent them.

python-telegram-bot hands each update to an update processor; this one lets updates from
different people run side by side and queues one person's updates behind each other. Texts,
commands, button taps, stickers and edits all wait their turn, so a "Sorry, I can only read
text" note can never overtake the emergency card that was being sent before it.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor


def sender_of(update: object) -> int | None:
    """Whose turn an update belongs to: the Telegram user, else the chat; None for neither."""
    if not isinstance(update, Update):
        return None
    if update.effective_user is not None:
        return update.effective_user.id
    if update.effective_chat is not None:
        return update.effective_chat.id
    return None


class OnePersonAtATime(BaseUpdateProcessor):
    """Concurrent across people, strictly in order for each person.

    Ordering holds because python-telegram-bot starts one task per update in the order it
    received them, and each task takes its person's lock before its first real wait; an
    asyncio.Lock wakes its waiters first come, first served.
    """

    def __init__(
        self,
        max_concurrent_updates: int,
        after: Callable[[object], Awaitable[None]] | None = None,
    ) -> None:
        super().__init__(max_concurrent_updates)
        # Called when an update's turn is over, handled or failed (the inbox marks it answered).
        self._after = after
        # Locks disappear with the last update that holds or waits for them.
        self._locks: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()

    def lock_for(self, sender: int) -> asyncio.Lock:
        lock = self._locks.get(sender)
        if lock is None:
            lock = self._locks[sender] = asyncio.Lock()
        return lock

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        sender = sender_of(update)
        try:
            if sender is None:
                await coroutine
            else:
                async with self.lock_for(sender):
                    await coroutine
        finally:
            if self._after is not None:
                await self._after(update)

    async def initialize(self) -> None:
        """Nothing to set up: locks are made on demand."""

    async def shutdown(self) -> None:
        """Nothing to release: locks die with their updates."""
