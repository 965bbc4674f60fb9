"""Flood control on incoming messages, per person (Telegram's rate limiter only covers sending)."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable


class FloodGate:
    """Allows `limit` messages per person in any `window` seconds; the excess is refused."""

    def __init__(
        self, limit: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit, self.window, self._clock = limit, window, clock
        self._seen: dict[str, deque[float]] = {}
        self._warned: set[str] = set()

    def allow(self, person: str) -> bool:
        now = self._clock()
        times = self._seen.setdefault(person, deque())
        while times and now - times[0] >= self.window:
            times.popleft()
        if len(times) >= self.limit:
            return False
        times.append(now)
        self._warned.discard(person)
        if len(self._seen) > 10_000:
            self._forget_idle(now)
        return True

    def should_warn(self, person: str) -> bool:
        """True once per burst, so a flood does not get a flood of warnings back."""
        if person in self._warned:
            return False
        self._warned.add(person)
        return True

    def _forget_idle(self, now: float) -> None:
        for person in [p for p, t in self._seen.items() if not t or now - t[-1] >= self.window]:
            del self._seen[person]
