"""One unit of work on a worker thread, committed before the caller awaits anything else.

The bridge never holds a transaction across an `await`: each state change is its own short
transaction, and only after it commits are its messages sent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.orm import Session, sessionmaker

T = TypeVar("T")


async def in_unit(sessions: sessionmaker, work: Callable[[Session], T]) -> T:
    def run() -> T:
        with sessions.begin() as session:
            return work(session)

    return await asyncio.to_thread(run)
