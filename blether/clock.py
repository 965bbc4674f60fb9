"""The time, from one place, so that timers (check-ins, offers) can be tested without waiting.

Production uses the system clock. A test may start the bridge with BLETHER_TEST_CLOCK_FILE
(only honoured when BLETHER_ENV=development): the file holds a number of seconds to add to
the system time, and the test moves time on by writing a larger number.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Protocol, overload

logger = logging.getLogger("blether.clock")


@overload
def stored_utc(value: dt.datetime) -> dt.datetime: ...
@overload
def stored_utc(value: None) -> None: ...
def stored_utc(value: dt.datetime | None) -> dt.datetime | None:
    """A time read back from the database, in UTC: SQLite hands back naive datetimes for
    timezone-aware columns, and everything is stored in UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.timezone.utc)
    return value


class Clock(Protocol):
    def now(self) -> dt.datetime: ...


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.timezone.utc)


class OffsetFileClock:
    """System time plus the seconds written in a file (0 when it is missing or unreadable)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def now(self) -> dt.datetime:
        try:
            offset = float(self.path.read_text().strip() or 0)
        except (OSError, ValueError):
            offset = 0.0
        return dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=offset)


def clock_for(test_clock_file: str, development: bool) -> Clock:
    if test_clock_file and development:
        logger.warning("using a test clock (BLETHER_TEST_CLOCK_FILE)")
        return OffsetFileClock(Path(test_clock_file))
    if test_clock_file:
        logger.warning("BLETHER_TEST_CLOCK_FILE ignored outside development")
    return SystemClock()
