"""Workers from content/services.yml: who covers an area, when they work, how to reach them."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping

from blether.content.models import Worker
from blether.roster import DAYS, LONDON, Candidate, Rota

DAY_NAMES = dict(zip(DAYS, ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"), strict=True))


def candidates(workers: list[Worker]) -> list[Candidate]:
    return [Candidate(w.id, tuple(w.areas), Rota.parse(w.hours)) for w in workers]


def areas(workers: list[Worker]) -> list[str]:
    seen: dict[str, str] = {}
    for worker in workers:
        for area in worker.areas:
            seen.setdefault(area.lower(), area)
    return list(seen.values())


def match_area(workers: list[Worker], text: str) -> str | None:
    wanted = text.strip().lower()
    for area in areas(workers):
        if area.lower() == wanted or area.lower() in wanted.split():
            return area
    return None


def chat_of(worker: Worker, environ: Mapping[str, str] | None = None) -> int | None:
    if worker.telegram_chat is not None:
        return worker.telegram_chat
    raw = (environ if environ is not None else os.environ).get(worker.telegram_chat_env or "", "")
    try:
        return int(raw) if raw.strip() else None
    except ValueError:
        return None


def hours_text(worker: Worker) -> str:
    parts = [f"{DAY_NAMES[day]} {hours}" for day, hours in worker.hours.items() if hours]
    return ", ".join(parts)


def when_text(at: dt.datetime, now: dt.datetime | None = None) -> str:
    """ "today at 09:00", "tomorrow at 12:00", "Friday at 09:00" (Europe/London)."""
    local = at.astimezone(LONDON)
    day = local.strftime("%A")
    if now is not None:
        days = (local.date() - now.astimezone(LONDON).date()).days
        day = {0: "today", 1: "tomorrow"}.get(days, day)
    return f"{day} at {local:%H:%M}".replace(" at 00:00", " at midnight")


def introduce(worker: Worker) -> str:
    return f"{worker.name} ({worker.role}, {worker.service})"
