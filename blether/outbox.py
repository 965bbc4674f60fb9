"""Messages owed by a state change: recorded with it, sent after it commits, then deleted.

No Telegram here: a message is a sealed chat, a text and optional buttons (title, callback
data). The caller opens the unit of work (`with Session.begin()`); sending is the bridge's.
A message is claimed before it is sent, so two bridges never send the same one; a claim left
by a crash is taken again after CLAIM_EXPIRES, and a message that keeps failing is dropped
after MAX_ATTEMPTS (and logged by the caller).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from blether.tables import outbox

# Longer than the slowest send (the rate limiter may wait out several Retry-After replies),
# so a message being sent is never claimed a second time.
CLAIM_EXPIRES = dt.timedelta(minutes=5)
MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class Message:
    chat: str  # sealed
    text: str
    buttons: tuple[tuple[str, str], ...] = field(default=())


@dataclass(frozen=True)
class Owed:
    id: int
    message: Message
    attempts: int
    checkin_id: int | None = None


def add(
    session: Session,
    message: Message,
    now: dt.datetime,
    referral_id: int | None = None,
    checkin_id: int | None = None,
) -> None:
    session.execute(
        sa.insert(outbox).values(
            referral_id=referral_id,
            checkin_id=checkin_id,
            chat=message.chat,
            text=message.text,
            buttons=json.dumps(message.buttons) if message.buttons else None,
            created_at=now,
            attempts=0,
        )
    )


def claim_next(session: Session, now: dt.datetime) -> Owed | None:
    """The oldest message nobody is sending, claimed for this caller; None when none is left."""
    free = outbox.c.claimed_at.is_(None) | (outbox.c.claimed_at < now - CLAIM_EXPIRES)
    # Read to the end before writing (SQLite: see broadcasts.claim_next).
    for row in session.execute(sa.select(outbox).where(free).order_by(outbox.c.id).limit(5)).all():
        claimed = session.execute(
            sa.update(outbox)
            .where((outbox.c.id == row.id) & (outbox.c.attempts == row.attempts) & free)
            .values(claimed_at=now, attempts=row.attempts + 1)
        )
        if claimed.rowcount:
            buttons = tuple(tuple(b) for b in json.loads(row.buttons)) if row.buttons else ()
            message = Message(row.chat, row.text, buttons)  # type: ignore[arg-type]
            return Owed(row.id, message, row.attempts + 1, row.checkin_id)
    return None


def sent(session: Session, owed_id: int) -> None:
    """Sent: nothing of it is kept."""
    session.execute(sa.delete(outbox).where(outbox.c.id == owed_id))


def failed(session: Session, owed: Owed, *, for_good: bool = False) -> bool:
    """A send failed: try again after the claim expires; True if it was given up for good.

    `for_good`: Telegram said the chat can never be reached (the bot was blocked).
    """
    if for_good or owed.attempts >= MAX_ATTEMPTS:
        session.execute(sa.delete(outbox).where(outbox.c.id == owed.id))
        return True
    return False


def drop_unsent_for_checkin(session: Session, checkin_id: int, marker: str) -> int:
    """Owed messages of a check-in whose buttons carry `marker`, not sent yet: now stale."""
    result = session.execute(
        sa.delete(outbox).where(
            (outbox.c.checkin_id == checkin_id) & outbox.c.buttons.contains(marker)
        )
    )
    return int(result.rowcount or 0)


def drop_unsent(session: Session, referral_id: int, marker: str) -> int:
    """Owed messages of a referral whose buttons carry `marker`, not sent yet: now stale."""
    result = session.execute(
        sa.delete(outbox).where(
            (outbox.c.referral_id == referral_id) & outbox.c.buttons.contains(marker)
        )
    )
    return int(result.rowcount or 0)


def count(session: Session) -> int:
    return int(session.execute(sa.select(sa.func.count()).select_from(outbox)).scalar() or 0)
