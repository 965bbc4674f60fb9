"""Referrals and their audit trail. Callers open `with Session.begin()` and pass the session."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import Enum

import sqlalchemy as sa
from sqlalchemy.orm import Session

from blether.clock import stored_utc
from blether.tables import outbox, referral_events, referrals


class Status(str, Enum):
    """Where a referral is. Stored as its value; compares equal to it."""

    NEW = "new"  # made, waiting for its worker to be on duty
    OFFERED = "offered"  # offered to a worker, waiting for Accept or Decline
    ACCEPTED = "accepted"  # a live handoff: messages are relayed both ways
    CLOSED = "closed"
    DECLINED = "declined"  # nobody could take it
    EXPIRED = "expired"  # offered, unanswered, and nobody else on duty

    def __str__(self) -> str:
        return self.value


NEW, OFFERED, ACCEPTED, CLOSED, DECLINED, EXPIRED = (
    Status.NEW,
    Status.OFFERED,
    Status.ACCEPTED,
    Status.CLOSED,
    Status.DECLINED,
    Status.EXPIRED,
)
OPEN = (NEW, OFFERED, ACCEPTED)
FINISHED = (CLOSED, DECLINED, EXPIRED)
# Every change a referral may make. NEW -> NEW is a new worker chosen; a finished referral
# never changes again.
ALLOWED: dict[Status, frozenset[Status]] = {
    NEW: frozenset({NEW, OFFERED, CLOSED, DECLINED, EXPIRED}),
    OFFERED: frozenset({NEW, ACCEPTED, CLOSED, DECLINED, EXPIRED}),
    ACCEPTED: frozenset({CLOSED}),
    CLOSED: frozenset(),
    DECLINED: frozenset(),
    EXPIRED: frozenset(),
}


class NotAllowed(ValueError):
    """A change the state machine does not allow (a bug, not a race)."""


URGENCIES = ("today", "this_week", "whenever")


@dataclass(frozen=True)
class Referral:
    id: int
    person: str
    contact: str | None
    worker_id: str | None
    status: str
    urgency: str
    area: str
    topic: str
    help_text: str | None
    created_at: dt.datetime
    offered_at: dt.datetime | None
    closed_at: dt.datetime | None
    focused_at: dt.datetime | None = None
    reminded_at: dt.datetime | None = None
    first_reply_at: dt.datetime | None = None
    feedback: str | None = None


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _from_row(row: sa.Row) -> Referral:
    m = row._mapping
    return Referral(
        m["id"],
        m["person"],
        m["contact"],
        m["worker_id"],
        m["status"],
        m["urgency"],
        m["area"],
        m["topic"],
        m["help_text"],
        stored_utc(m["created_at"]),  # type: ignore[arg-type]
        stored_utc(m["offered_at"]),
        stored_utc(m["closed_at"]),
        stored_utc(m["focused_at"]),
        stored_utc(m["reminded_at"]),
        stored_utc(m["first_reply_at"]),
        m["feedback"],
    )


def _audit(
    session: Session,
    referral_id: int,
    at: dt.datetime,
    before: str | None,
    after: str,
    worker_id: str | None,
    note: str | None,
) -> None:
    session.execute(
        sa.insert(referral_events).values(
            referral_id=referral_id,
            at=at,
            status_from=before,
            status_to=after,
            worker_id=worker_id,
            note=note,
        )
    )


def create(
    session: Session,
    *,
    person: str,
    contact: str | None,
    area: str,
    urgency: str,
    topic: str,
    help_text: str | None,
    now: dt.datetime,
) -> int:
    if urgency not in URGENCIES:
        raise ValueError(f"urgency must be one of {URGENCIES}")
    result = session.execute(
        sa.insert(referrals).values(
            person=person,
            contact=contact,
            status=NEW.value,
            urgency=urgency,
            area=area,
            topic=topic,
            help_text=help_text or None,
            created_at=now,
            updated_at=now,
        )
    )
    referral_id = int(result.inserted_primary_key[0])
    _audit(session, referral_id, now, None, NEW.value, None, "referral made")
    return referral_id


def get(session: Session, referral_id: int) -> Referral | None:
    row = session.execute(sa.select(referrals).where(referrals.c.id == referral_id)).first()
    return _from_row(row) if row else None


def change(
    session: Session,
    referral_id: int,
    status: str,
    now: dt.datetime,
    *,
    worker_id: str | None = None,
    note: str | None = None,
    expect: str | None = None,
) -> Referral | None:
    """Move a referral on, with an audit row; None if it is no longer in `expect`.

    The update is conditional (`WHERE id = ? AND status = ?`), so two bridges, or a worker's
    tap and an offer pass, cannot both move the same referral: the second finds it changed and
    gets None. Without `expect`, the status read here is the one required.
    """
    current = get(session, referral_id)
    if current is None:
        raise LookupError(f"no referral {referral_id}")
    before = Status(expect if expect is not None else current.status)
    after = Status(status)
    if after not in ALLOWED[before]:
        raise NotAllowed(f"referral {referral_id}: {before} -> {after} is not allowed")
    values: dict[str, object] = {"status": after.value, "updated_at": now}
    if worker_id is not None:
        values["worker_id"] = worker_id
    if after == OFFERED:
        values["offered_at"] = now
        values["reminded_at"] = None  # each worker's offer is reminded once
    if after == ACCEPTED:
        values["focused_at"] = now  # a worker's newest conversation is the one they talk in
    if after in FINISHED:
        values["closed_at"] = now
        values["contact"] = None  # the way to reach the person goes with the referral
    result = session.execute(
        sa.update(referrals)
        .where((referrals.c.id == referral_id) & (referrals.c.status == before.value))
        .values(**values)
    )
    if not result.rowcount:
        return None
    _audit(
        session, referral_id, now, before.value, after.value, worker_id or current.worker_id, note
    )
    return get(session, referral_id)


def with_status(session: Session, *statuses: str) -> list[Referral]:
    values = [Status(s).value for s in statuses]
    query = sa.select(referrals).where(referrals.c.status.in_(values)).order_by(referrals.c.id)
    return [_from_row(r) for r in session.execute(query)]


def all_referrals(session: Session) -> list[Referral]:
    return [_from_row(r) for r in session.execute(sa.select(referrals).order_by(referrals.c.id))]


def active_for_person(session: Session, person: str) -> Referral | None:
    """The handoff this person is in, if any."""
    query = sa.select(referrals).where(
        (referrals.c.person == person) & (referrals.c.status == ACCEPTED.value)
    )
    row = session.execute(query.order_by(referrals.c.id.desc())).first()
    return _from_row(row) if row else None


def accepted_by(session: Session, worker_id: str) -> list[Referral]:
    """The conversations this worker holds, the one they talk in (focused last) first."""
    query = (
        sa.select(referrals)
        .where((referrals.c.worker_id == worker_id) & (referrals.c.status == ACCEPTED.value))
        .order_by(referrals.c.focused_at.desc(), referrals.c.id.desc())
    )
    return [_from_row(r) for r in session.execute(query)]


def load_by_worker(session: Session) -> dict[str, int]:
    """Conversations held plus offers waiting, per worker: what counts against `max_active`."""
    query = (
        sa.select(referrals.c.worker_id, sa.func.count())
        .where(referrals.c.status.in_([ACCEPTED.value, OFFERED.value]))
        .group_by(referrals.c.worker_id)
    )
    return {w: int(n) for w, n in session.execute(query) if w}


def _set_once(
    session: Session, referral_id: int, column: str, value: object, *where: object
) -> bool:
    """Set a column that is still empty; False if it was set already (or the row moved on)."""
    condition = (referrals.c.id == referral_id) & (referrals.c[column].is_(None))
    for extra in where:
        condition = condition & extra  # type: ignore[operator]
    result = session.execute(sa.update(referrals).where(condition).values({column: value}))
    return bool(result.rowcount)


def focus(session: Session, referral_id: int, now: dt.datetime) -> None:
    """The worker's messages go to this conversation from now on."""
    session.execute(
        sa.update(referrals)
        .where((referrals.c.id == referral_id) & (referrals.c.status == ACCEPTED.value))
        .values(focused_at=now)
    )


REMINDED = "reminded"  # the audit note of an offer sent again to the same worker


def mark_reminded(session: Session, referral_id: int, now: dt.datetime) -> bool:
    """Record the one reminder of an offer (and audit it); False if it was reminded already
    or has moved on."""
    if not _set_once(session, referral_id, "reminded_at", now, referrals.c.status == OFFERED.value):
        return False
    worker = session.execute(
        sa.select(referrals.c.worker_id).where(referrals.c.id == referral_id)
    ).scalar()
    _audit(session, referral_id, now, OFFERED.value, OFFERED.value, worker, REMINDED)
    return True


def mark_first_reply(session: Session, referral_id: int, now: dt.datetime) -> bool:
    return _set_once(session, referral_id, "first_reply_at", now)


FEEDBACK = ("helped", "some", "no")


def record_feedback(session: Session, referral_id: int, person: str, answer: str) -> bool:
    """The person's one answer to "Did that help?" about their own closed referral."""
    if answer not in FEEDBACK:
        return False
    return _set_once(
        session,
        referral_id,
        "feedback",
        answer,
        referrals.c.person == person,
        referrals.c.status == CLOSED.value,
    )


def events_since(
    session: Session, since: dt.datetime
) -> list[tuple[int, dt.datetime, str, str | None, str | None]]:
    """Audit rows of referrals made since `since`: (referral, at, status_to, worker, note)."""
    made = sa.select(referrals.c.id).where(referrals.c.created_at >= since)
    query = (
        sa.select(
            referral_events.c.referral_id,
            referral_events.c.at,
            referral_events.c.status_to,
            referral_events.c.worker_id,
            referral_events.c.note,
        )
        .where(referral_events.c.referral_id.in_(made))
        .order_by(referral_events.c.referral_id, referral_events.c.id)
    )
    return [(r, stored_utc(at), to, w, n) for r, at, to, w, n in session.execute(query)]  # type: ignore[misc]


def made_since(session: Session, since: dt.datetime) -> list[Referral]:
    query = sa.select(referrals).where(referrals.c.created_at >= since).order_by(referrals.c.id)
    return [_from_row(r) for r in session.execute(query)]


def accepted_at(session: Session, referral_id: int) -> dt.datetime | None:
    """When the handoff began (its audit row), for "since" in a worker's /list."""
    latest = sa.func.max(referral_events.c.at, type_=sa.DateTime(timezone=True))
    query = sa.select(latest).where(
        (referral_events.c.referral_id == referral_id)
        & (referral_events.c.status_to == ACCEPTED.value)
    )
    return stored_utc(session.execute(query).scalar())


def tried_workers(session: Session, referral_id: int) -> frozenset[str]:
    """Workers this referral was already offered to (and who declined or did not answer)."""
    query = sa.select(referral_events.c.worker_id).where(
        (referral_events.c.referral_id == referral_id)
        & (referral_events.c.status_to == OFFERED.value)
    )
    return frozenset(w for (w,) in session.execute(query) if w)


def last_offered(session: Session) -> dict[str, dt.datetime]:
    """When each worker was last given a referral (assigned or offered), for round-robin."""
    latest = sa.func.max(referral_events.c.at, type_=sa.DateTime(timezone=True))
    query = (
        sa.select(referral_events.c.worker_id, latest)
        .where(referral_events.c.worker_id.isnot(None))
        .group_by(referral_events.c.worker_id)
    )
    return {w: stored_utc(at) for w, at in session.execute(query) if w}  # type: ignore[misc]


def history(
    session: Session, referral_id: int
) -> list[tuple[dt.datetime, str | None, str, str | None, str | None]]:
    query = (
        sa.select(
            referral_events.c.at,
            referral_events.c.status_from,
            referral_events.c.status_to,
            referral_events.c.worker_id,
            referral_events.c.note,
        )
        .where(referral_events.c.referral_id == referral_id)
        .order_by(referral_events.c.id)
    )
    return [(stored_utc(at), a, b, w, n) for at, a, b, w, n in session.execute(query)]  # type: ignore[misc]


def _delete(session: Session, ids: list[int]) -> int:
    if not ids:
        return 0
    events = session.execute(
        sa.delete(referral_events).where(referral_events.c.referral_id.in_(ids))
    )
    # SQLite does not cascade without a pragma: messages still owed go explicitly.
    owed = session.execute(sa.delete(outbox).where(outbox.c.referral_id.in_(ids)))
    session.execute(sa.delete(referrals).where(referrals.c.id.in_(ids)))
    return len(ids) + int(events.rowcount or 0) + int(owed.rowcount or 0)


def erase_person(session: Session, person: str) -> int:
    """/forget: every referral of this person and its audit rows; returns rows deleted."""
    ids = [
        i for (i,) in session.execute(sa.select(referrals.c.id).where(referrals.c.person == person))
    ]
    return _delete(session, ids)


def purge_finished(session: Session, before: dt.datetime) -> int:
    """Retention: finished referrals closed before `before`, with their audit rows."""
    query = sa.select(referrals.c.id).where(
        referrals.c.status.in_([s.value for s in FINISHED]) & (referrals.c.closed_at < before)
    )
    return _delete(session, [i for (i,) in session.execute(query)])
