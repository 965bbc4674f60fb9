"""The inbox: every update stored before it is acknowledged, answered from here, then cleared.

No Telegram here: the bridge hands over an update id, whose it is, what kind of update it is
and the update already sealed. The caller opens the unit of work (`with Session.begin()`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from blether.clock import stored_utc
from blether.tables import inbox

# Telegram re-sends an update it thinks was not received for up to a day.
KEEP_ANSWERED_IDS = dt.timedelta(days=1)


@dataclass(frozen=True)
class Stored:
    update_id: int
    kind: str
    payload: str
    received_at: dt.datetime


def store(
    session: Session, update_id: int, person: str | None, kind: str, payload: str, at: dt.datetime
) -> bool:
    """Keep a new update; False when this id is known already (a copy sent again)."""
    known = session.execute(
        sa.select(inbox.c.update_id).where(inbox.c.update_id == update_id)
    ).first()
    if known is not None:
        return False
    session.execute(
        sa.insert(inbox).values(
            update_id=update_id, person=person, kind=kind, payload=payload, received_at=at
        )
    )
    return True


def pending(session: Session) -> list[Stored]:
    """Stored and not yet answered, in the order Telegram numbered them."""
    rows = session.execute(
        sa.select(inbox.c.update_id, inbox.c.kind, inbox.c.payload, inbox.c.received_at)
        .where(inbox.c.answered_at.is_(None) & inbox.c.payload.is_not(None))
        .order_by(inbox.c.update_id)
    )
    return [Stored(r.update_id, r.kind, r.payload, stored_utc(r.received_at)) for r in rows]


def mark_answered(session: Session, update_id: int, at: dt.datetime) -> None:
    """Answered: the message and whose it was go; the id stays to recognise a copy."""
    session.execute(
        sa.update(inbox)
        .where(inbox.c.update_id == update_id)
        .values(payload=None, person=None, answered_at=at)
    )


def erase_person(session: Session, person: str) -> int:
    """/forget: every update of this person not yet answered."""
    return int(session.execute(sa.delete(inbox).where(inbox.c.person == person)).rowcount or 0)


def purge_answered(session: Session, now: dt.datetime) -> int:
    """Retention: ids of updates answered more than a day ago."""
    cutoff = now - KEEP_ANSWERED_IDS
    result = session.execute(sa.delete(inbox).where(inbox.c.answered_at < cutoff))
    return int(result.rowcount or 0)
