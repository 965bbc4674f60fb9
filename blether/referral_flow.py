"""Making a referral: pick the worker on duty (round-robin) and tell the person what happens."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from blether import referrals
from blether.content import ContentLibrary
from blether.content.models import fill
from blether.roster import pick_worker
from blether.workers import candidates, hours_text, introduce, when_text

STOP_WORDS = frozenset(
    {
        "stop",
        "cancel",
        "quit",
        "nevermind",
        "never mind",
        "forget it",
        "no stop",
        "naw stop",
        "leave it",
    }
)
_URGENCY_WORDS = {
    "today": "today",
    "now": "today",
    "asap": "today",
    "urgent": "today",
    "this week": "this_week",
    "week": "this_week",
    "this_week": "this_week",
    "whenever": "whenever",
    "no rush": "whenever",
    "any time": "whenever",
    "anytime": "whenever",
}


def normalise_urgency(text: str) -> str:
    """Map what was typed or tapped to today / this_week / whenever (whenever if unclear)."""
    cleaned = text.strip().lower()
    if cleaned in _URGENCY_WORDS:
        return _URGENCY_WORDS[cleaned]
    for word, urgency in _URGENCY_WORDS.items():
        if word in cleaned:
            return urgency
    return "whenever"


def make_referral(
    session: Session,
    library: ContentLibrary,
    *,
    person: str,
    contact: str | None,
    area: str,
    help_text: str | None,
    urgency: str,
    topic: str,
    now: dt.datetime,
) -> list[str]:
    """Store the referral for the chosen worker; returns what to tell the person."""
    texts = library.referral()
    workers = {w.id: w for w in library.services().workers}
    choice = pick_worker(
        candidates(list(workers.values())), area, now, referrals.last_offered(session)
    )
    if choice is None:
        return [texts.no_worker]
    referral_id = referrals.create(
        session,
        person=person,
        contact=contact,
        area=area,
        urgency=urgency,
        topic=topic,
        help_text=None if help_text in (None, "-") else help_text,
        now=now,
    )
    referrals.change(
        session, referral_id, referrals.NEW, now, worker_id=choice.worker_id, note="worker chosen"
    )
    worker = workers[choice.worker_id]
    if choice.on_duty:
        return [fill(texts.made_on_duty, worker=introduce(worker), hours=hours_text(worker))]
    if choice.starts is None:
        return [texts.no_worker]
    return [fill(texts.made_off_duty, worker=introduce(worker), when=when_text(choice.starts, now))]
