"""Drug alert subscriptions and broadcasts: who asked for which areas, and each delivery.

No Telegram here; the caller opens the unit of work. Publishing writes the broadcast and one
`queued` delivery row per subscriber in one transaction, before anything is sent. A sender
claims a row (`sending`, committed), sends, then records `sent`, `failed` or `blocked`; a
claim left by a crash is taken again after CLAIM_EXPIRES. A graceful stop hands back the
rows it claimed and did not send (`release`), so a restart repeats nobody.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from blether.content.alert_models import ALL_SCOTLAND
from blether.tables import alert_broadcasts, alert_deliveries, alert_subscriptions

QUEUED, SENDING, SENT, FAILED, BLOCKED = "queued", "sending", "sent", "failed", "blocked"
FINAL = (SENT, FAILED, BLOCKED)
# Longer than the slowest send (the rate limiter may wait out Telegram's Retry-After).
CLAIM_EXPIRES = dt.timedelta(minutes=2)
# A failed send is tried again after this, up to MAX_ATTEMPTS in all.
RETRY_AFTER = dt.timedelta(seconds=30)
MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class Delivery:
    id: int
    broadcast_id: int
    chat: str  # sealed
    text: str
    attempts: int


@dataclass(frozen=True)
class Published:
    broadcast_id: int
    queued: int
    updated: bool
    already: bool  # this version was published before: nothing new was queued


@dataclass(frozen=True)
class BroadcastReport:
    broadcast_id: int
    version: str
    updated: bool
    created_at: dt.datetime
    states: dict[str, int]
    by_area: dict[str, dict[str, int]]


# Subscriptions


def subscribe(session: Session, person: str, chat: str, area: str, now: dt.datetime) -> bool:
    """True if this is a new subscription; the sealed chat is renewed either way."""
    found = session.execute(
        sa.update(alert_subscriptions)
        .where((alert_subscriptions.c.person == person) & (alert_subscriptions.c.area == area))
        .values(chat=chat)
    )
    if found.rowcount:
        return False
    session.execute(
        sa.insert(alert_subscriptions).values(person=person, chat=chat, area=area, created_at=now)
    )
    return True


def unsubscribe(session: Session, person: str, area: str | None = None) -> int:
    """One area, or every area when `area` is None; how many were removed."""
    where = alert_subscriptions.c.person == person
    if area is not None:
        where &= alert_subscriptions.c.area == area
    return int(session.execute(sa.delete(alert_subscriptions).where(where)).rowcount or 0)


def areas_of(session: Session, person: str) -> list[str]:
    rows = session.execute(
        sa.select(alert_subscriptions.c.area)
        .where(alert_subscriptions.c.person == person)
        .order_by(alert_subscriptions.c.id)
    )
    return [row.area for row in rows]


def subscriber_counts(session: Session) -> dict[str, int]:
    """People per area (no one named): for `blether alerts list`."""
    rows = session.execute(
        sa.select(alert_subscriptions.c.area, sa.func.count()).group_by(alert_subscriptions.c.area)
    )
    return {area: int(count) for area, count in rows}


# Publishing


def published_versions(session: Session, alert_id: str) -> list[str]:
    rows = session.execute(
        sa.select(alert_broadcasts.c.version)
        .where(alert_broadcasts.c.alert_id == alert_id)
        .order_by(alert_broadcasts.c.id)
    )
    return [row.version for row in rows]


def _recipients(session: Session, areas: list[str]) -> dict[str, tuple[str, str]]:
    """Person -> (sealed chat, the area they are reached for), each person once."""
    wanted = {a.lower() for a in areas}
    everyone = ALL_SCOTLAND.lower() in wanted
    chosen: dict[str, tuple[str, str]] = {}
    rows = session.execute(sa.select(alert_subscriptions).order_by(alert_subscriptions.c.id))
    for row in rows:
        area = row.area.lower()
        if everyone or area in wanted or area == ALL_SCOTLAND.lower():
            chosen.setdefault(row.person, (row.chat, row.area))
    return chosen


def _sent_before(session: Session, alert_id: str) -> set[str]:
    rows = session.execute(
        sa.select(alert_deliveries.c.person)
        .join(alert_broadcasts)
        .where((alert_broadcasts.c.alert_id == alert_id) & (alert_deliveries.c.state == SENT))
    )
    return {row.person for row in rows if row.person is not None}


def publish(
    session: Session,
    alert_id: str,
    version: str,
    areas: list[str],
    render: Callable[[bool], str],
    now: dt.datetime,
) -> Published:
    """Queue one version of an alert for every subscriber of its areas, once.

    `render(updated)` gives the text; the "updated" one goes to people who got an earlier
    version, the plain one to everyone else.
    """
    existing = session.execute(
        sa.select(alert_broadcasts.c.id, alert_broadcasts.c.updated).where(
            (alert_broadcasts.c.alert_id == alert_id) & (alert_broadcasts.c.version == version)
        )
    ).first()
    if existing is not None:
        return Published(existing.id, 0, bool(existing.updated), already=True)
    updated = bool(published_versions(session, alert_id))
    inserted = session.execute(
        sa.insert(alert_broadcasts).values(
            alert_id=alert_id,
            version=version,
            updated=updated,
            text=render(False),
            update_text=render(True) if updated else None,
            created_at=now,
        )
    )
    broadcast_id = int(inserted.inserted_primary_key[0])
    # "Updated" only to those who got an earlier version; a newer subscriber gets it plain.
    had_it = _sent_before(session, alert_id) if updated else set()
    rows = [
        {
            "broadcast_id": broadcast_id,
            "person": person,
            "chat": chat,
            "area": area,
            "state": QUEUED,
            "attempts": 0,
            "as_update": person in had_it,
        }
        for person, (chat, area) in _recipients(session, areas).items()
    ]
    if rows:
        session.execute(sa.insert(alert_deliveries), rows)
    return Published(broadcast_id, len(rows), updated, already=False)


# Sending


def _claimable(now: dt.datetime) -> Any:  # a SQL condition
    queued = (alert_deliveries.c.state == QUEUED) & (
        alert_deliveries.c.claimed_at.is_(None)
        | (alert_deliveries.c.claimed_at < now - RETRY_AFTER)
    )
    abandoned = (alert_deliveries.c.state == SENDING) & (
        alert_deliveries.c.claimed_at < now - CLAIM_EXPIRES
    )
    return queued | abandoned


def claim_next(session: Session, now: dt.datetime) -> Delivery | None:
    """The oldest delivery nobody is sending, claimed for this caller; None when none is left."""
    free = _claimable(now)
    query = (
        sa.select(alert_deliveries, alert_broadcasts.c.text, alert_broadcasts.c.update_text)
        .join(alert_broadcasts)
        .where(free)
        .order_by(alert_deliveries.c.id)
        .limit(5)
    )
    # Read to the end before writing: on SQLite a write while this read is still open cannot
    # wait for another writer and fails at once ("database is locked").
    for row in session.execute(query).all():
        if row.attempts >= MAX_ATTEMPTS:
            session.execute(
                sa.update(alert_deliveries)
                .where((alert_deliveries.c.id == row.id) & free)
                .values(state=FAILED, done_at=now)
            )
            continue
        claimed = session.execute(
            sa.update(alert_deliveries)
            .where(
                (alert_deliveries.c.id == row.id)
                & (alert_deliveries.c.attempts == row.attempts)
                & free
            )
            .values(state=SENDING, claimed_at=now, attempts=row.attempts + 1)
        )
        if claimed.rowcount:
            text = row.update_text if row.as_update and row.update_text else row.text
            return Delivery(row.id, row.broadcast_id, row.chat, text, row.attempts + 1)
    return None


def _finish(session: Session, delivery_id: int, state: str, now: dt.datetime) -> None:
    session.execute(
        sa.update(alert_deliveries)
        .where((alert_deliveries.c.id == delivery_id) & (alert_deliveries.c.state == SENDING))
        .values(state=state, done_at=now)
    )


def delivered(session: Session, delivery_id: int, now: dt.datetime) -> None:
    _finish(session, delivery_id, SENT, now)


def blocked(session: Session, delivery_id: int, now: dt.datetime) -> None:
    """Telegram says the bot is blocked: never tried again, and unsubscribed from everything."""
    _finish(session, delivery_id, BLOCKED, now)
    person = session.execute(
        sa.select(alert_deliveries.c.person).where(alert_deliveries.c.id == delivery_id)
    ).scalar()
    if person is not None:
        unsubscribe(session, person)


def failed(session: Session, delivery: Delivery, now: dt.datetime) -> bool:
    """A send failed: queued again (tried after RETRY_AFTER) or, at the last attempt,
    failed for good; True if it was given up."""
    if delivery.attempts >= MAX_ATTEMPTS:
        _finish(session, delivery.id, FAILED, now)
        return True
    session.execute(
        sa.update(alert_deliveries)
        .where((alert_deliveries.c.id == delivery.id) & (alert_deliveries.c.state == SENDING))
        .values(state=QUEUED, claimed_at=now)
    )
    return False


def release(session: Session, delivery_id: int) -> None:
    """Claimed but not sent (a graceful stop): back in the queue as if never claimed."""
    session.execute(
        sa.update(alert_deliveries)
        .where((alert_deliveries.c.id == delivery_id) & (alert_deliveries.c.state == SENDING))
        .values(state=QUEUED, claimed_at=None, attempts=alert_deliveries.c.attempts - 1)
    )


def waiting(session: Session) -> int:
    """Deliveries not finished yet, across every broadcast."""
    query = sa.select(sa.func.count()).where(alert_deliveries.c.state.in_((QUEUED, SENDING)))
    return int(session.execute(query.select_from(alert_deliveries)).scalar() or 0)


# Reports


def report(session: Session, alert_id: str) -> list[BroadcastReport]:
    """Each published version of an alert: outcomes overall and by area. Nobody is named."""
    found = []
    broadcasts = session.execute(
        sa.select(alert_broadcasts)
        .where(alert_broadcasts.c.alert_id == alert_id)
        .order_by(alert_broadcasts.c.id)
    ).all()
    for broadcast in broadcasts:
        rows = session.execute(
            sa.select(alert_deliveries.c.area, alert_deliveries.c.state, sa.func.count())
            .where(alert_deliveries.c.broadcast_id == broadcast.id)
            .group_by(alert_deliveries.c.area, alert_deliveries.c.state)
        ).all()
        states: Counter[str] = Counter()
        by_area: dict[str, dict[str, int]] = {}
        for area, state, count in rows:
            states[state] += int(count)
            by_area.setdefault(area, {})[state] = int(count)
        found.append(
            BroadcastReport(
                broadcast.id,
                broadcast.version,
                bool(broadcast.updated),
                broadcast.created_at,
                dict(states),
                by_area,
            )
        )
    return found


# Erasure


def erase_person(session: Session, person: str) -> int:
    """/forget: subscriptions go, an unsent alert is not sent, and past deliveries keep only
    their area and outcome for the report."""
    erased = unsubscribe(session, person)
    mine = alert_deliveries.c.person == person
    erased += int(
        session.execute(
            sa.delete(alert_deliveries).where(
                mine & alert_deliveries.c.state.in_((QUEUED, SENDING))
            )
        ).rowcount
        or 0
    )
    erased += int(
        session.execute(
            sa.update(alert_deliveries).where(mine).values(person=None, chat=None)
        ).rowcount
        or 0
    )
    return erased


def purge_delivered(session: Session, cutoff: dt.datetime) -> int:
    """Retention: finished deliveries older than the cutoff keep only area and outcome."""
    result = session.execute(
        sa.update(alert_deliveries)
        .where(
            alert_deliveries.c.state.in_(FINAL)
            & (alert_deliveries.c.done_at < cutoff)
            & alert_deliveries.c.person.is_not(None)
        )
        .values(person=None, chat=None)
    )
    return int(result.rowcount or 0)
