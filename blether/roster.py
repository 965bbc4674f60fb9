"""Who is on duty: weekly working hours in Europe/London, and round-robin among those on."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RANGE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


class HoursError(ValueError):
    pass


Shift = tuple[dt.time, dt.time]


def parse_day(text: str | None) -> list[Shift]:
    """'09:00-12:30, 13:30-17:00' -> shifts; an end of 24:00 or before the start means midnight."""
    if not text:
        return []
    shifts = []
    for part in str(text).split(","):
        match = _RANGE.match(part)
        if not match:
            raise HoursError(f"'{part.strip()}' is not a time range like 09:00-17:00")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or m1 > 59 or h2 > 24 or m2 > 59 or (h2 == 24 and m2):
            raise HoursError(f"'{part.strip()}' has an impossible time")
        end = dt.time.max if h2 == 24 else dt.time(h2, m2)
        shifts.append((dt.time(h1, m1), end))
    return shifts


@dataclass(frozen=True)
class Rota:
    """A worker's weekly hours, local to Europe/London (so the clock change is handled)."""

    days: Mapping[int, Sequence[Shift]]

    @classmethod
    def parse(cls, hours: Mapping[str, str | None]) -> Rota:
        unknown = set(hours) - set(DAYS)
        if unknown:
            raise HoursError(f"unknown day '{sorted(unknown)[0]}'; use {', '.join(DAYS)}")
        return cls({i: parse_day(hours.get(day)) for i, day in enumerate(DAYS)})

    def on_duty(self, at: dt.datetime) -> bool:
        local = at.astimezone(LONDON)
        now = local.time()
        for start, end in self.days.get(local.weekday(), ()):
            if end <= start:  # overnight shift: the part after midnight counts the next day
                if now >= start:
                    return True
            elif start <= now < end or (end == dt.time.max and now >= start):
                return True
        for start, end in self.days.get((local.weekday() - 1) % 7, ()):
            if end <= start and now < end:
                return True
        return False

    def next_on(self, at: dt.datetime) -> dt.datetime | None:
        """When this worker's next shift starts (now, if on duty)."""
        if self.on_duty(at):
            return at
        local = at.astimezone(LONDON)
        for offset in range(8):
            day = local.date() + dt.timedelta(days=offset)
            starts = sorted(s for s, _ in self.days.get(day.weekday(), ()))
            for start in starts:
                candidate = dt.datetime.combine(day, start, tzinfo=LONDON)
                if candidate > local:
                    return candidate
        return None


@dataclass(frozen=True)
class Candidate:
    worker_id: str
    areas: tuple[str, ...]
    rota: Rota

    def covers(self, area: str) -> bool:
        wanted = area.strip().lower()
        return any(a.lower() in (wanted, "anywhere") for a in self.areas)


@dataclass(frozen=True)
class Choice:
    worker_id: str
    on_duty: bool
    starts: dt.datetime | None


def pick_worker(
    candidates: Sequence[Candidate],
    area: str,
    at: dt.datetime,
    last_offered: Mapping[str, dt.datetime],
    exclude: frozenset[str] = frozenset(),
) -> Choice | None:
    """Round-robin among workers on duty for the area: whoever was offered a referral longest
    ago goes next. With nobody on duty, the worker whose next shift starts soonest."""
    covering = [c for c in candidates if c.covers(area) and c.worker_id not in exclude]
    on = [c for c in covering if c.rota.on_duty(at)]
    if on:
        never = dt.datetime.min.replace(tzinfo=dt.timezone.utc)
        chosen = min(on, key=lambda c: last_offered.get(c.worker_id, never))
        return Choice(chosen.worker_id, True, at)
    upcoming = [(c.rota.next_on(at), c) for c in covering]
    upcoming = [(when, c) for when, c in upcoming if when is not None]
    if not upcoming:
        return None
    when, chosen = min(upcoming, key=lambda pair: pair[0])  # type: ignore[arg-type,return-value]
    return Choice(chosen.worker_id, False, when)
