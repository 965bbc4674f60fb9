"""One bridge runs the timers: a PostgreSQL advisory lock; SQLite always holds it."""

from __future__ import annotations

import random
from pathlib import Path

from blether.db import make_engine
from blether.timer_lock import TimerLock
from tests.conftest import POSTGRES_URL


def test_on_postgresql_one_of_two_bridges_holds_it_until_it_lets_go() -> None:
    # A key of the test's own: a bridge of another test may hold the real one.
    key = random.randrange(1, 2**31)
    first = TimerLock(make_engine(POSTGRES_URL), key)
    second = TimerLock(make_engine(POSTGRES_URL), key)
    try:
        assert first.held()
        assert first.held()  # still held on the next round
        assert not second.held()
        first.release()  # the first bridge stopped (or died: its connection closed)
        assert second.held()
        assert not first.held()
    finally:
        first.release()
        second.release()


def test_on_sqlite_the_one_process_always_holds_it(tmp_path: Path) -> None:
    lock = TimerLock(make_engine(f"sqlite:///{tmp_path}/app.db"))
    assert lock.held() and lock.held()
