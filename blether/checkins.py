"""Check-ins in the app database: the rows, their states, conditional moves and the audit trail.

No Telegram and no texts here (blether/checkin_flow.py decides what each move says). Every
move is a conditional update (`WHERE id = ? AND state = ?`), so two bridges, or a tap and a
timer, can never both make the same move: the second gets None and sends nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import Enum

import sqlalchemy as sa
from sqlalchemy.orm import Session

from blether.clock import stored_utc
from blether.tables import checkin_events, checkins, outbox


class State(str, Enum):
    SET = "set"  # waiting for its time
    ASKED = "asked"  # "Are you OK?" sent
    REMINDED = "reminded"  # the second, louder message sent
    ALERTED = "alerted"  # the contact (or the worker) told
    ESCALATED = "escalated"  # the worker told too (the contact did not acknowledge)
    NOBODY = "nobody"  # nobody could be told: no contact reachable, no worker on duty
    ACKNOWLEDGED = "acknowledged"  # someone tapped "I'm dealing with it"
    LATE = "late"  # the person answered after the alert; asked whether they are OK
    OK = "ok"  # the person answered in time
    CANCELLED = "cancelled"
    CLOSED = "closed"  # over after an alert (answered, or nobody heard back in time)

    def __str__(self) -> str:
        return self.value


WAITING = frozenset({State.SET})
ASKING = frozenset({State.ASKED, State.REMINDED})
ALERTING = frozenset({State.ALERTED, State.ESCALATED, State.NOBODY, State.ACKNOWLEDGED})
ENDED = frozenset({State.OK, State.CANCELLED, State.CLOSED})
RUNNING = frozenset(State) - ENDED

ALLOWED: dict[State, frozenset[State]] = {
    # SET -> SET and ASKED -> SET: more time. ASKED -> ASKED and REMINDED -> ASKED: they typed
    # something other than "I'm OK". ALERTED or NOBODY straight from SET or ASKED: "I need help".
    State.SET: frozenset(
        {State.ASKED, State.OK, State.CANCELLED, State.SET, State.ALERTED, State.NOBODY}
    ),
    State.ASKED: frozenset(
        {
            State.REMINDED,
            State.OK,
            State.CANCELLED,
            State.SET,
            State.ASKED,
            State.ALERTED,
            State.NOBODY,
        }
    ),
    State.REMINDED: frozenset(
        {State.ALERTED, State.NOBODY, State.OK, State.CANCELLED, State.SET, State.ASKED}
    ),
    State.ALERTED: frozenset({State.ESCALATED, State.ACKNOWLEDGED, State.LATE, State.CLOSED}),
    State.ESCALATED: frozenset({State.ACKNOWLEDGED, State.LATE, State.CLOSED}),
    State.NOBODY: frozenset({State.CLOSED}),
    State.ACKNOWLEDGED: frozenset({State.LATE, State.CLOSED}),
    State.LATE: frozenset({State.CLOSED}),
    State.OK: frozenset(),
    State.CANCELLED: frozenset(),
    State.CLOSED: frozenset(),
}


class NotAllowed(ValueError):
    pass


@dataclass(frozen=True)
class Checkin:
    id: int
    person: str
    chat: str  # sealed
    notify: str  # "worker" or "contact"
    contact_id: int | None
    worker_id: str | None
    note: str | None  # sealed
    awaiting_note: bool
    state: State
    minutes: int
    due_at: dt.datetime | None
    created_at: dt.datetime
    alerted_at: dt.datetime | None
    acknowledged_at: dt.datetime | None


def _from_row(row: sa.Row) -> Checkin:
    m = row._mapping
    return Checkin(
        m["id"],
        m["person"],
        m["chat"],
        m["notify"],
        m["contact_id"],
        m["worker_id"],
        m["note"],
        bool(m["awaiting_note"]),
        State(m["state"]),
        m["minutes"],
        stored_utc(m["due_at"]),
        stored_utc(m["created_at"]),  # type: ignore[arg-type]
        stored_utc(m["alerted_at"]),
        stored_utc(m["acknowledged_at"]),
    )


def _audit(
    session: Session, checkin_id: int, at: dt.datetime, before: str | None, after: str, note: str
) -> None:
    session.execute(
        sa.insert(checkin_events).values(
            checkin_id=checkin_id, at=at, state_from=before, state_to=after, note=note[:200]
        )
    )


def create(
    session: Session,
    *,
    person: str,
    chat: str,
    notify: str,
    contact_id: int | None,
    minutes: int,
    now: dt.datetime,
) -> int:
    """A new check-in, due in `minutes`; any check-in this person still had is cancelled."""
    for old in running_for(session, person):
        change(session, old.id, State.CANCELLED, now, note="replaced by a new check-in")
    result = session.execute(
        sa.insert(checkins).values(
            person=person,
            chat=chat,
            notify=notify,
            contact_id=contact_id,
            awaiting_note=True,
            state=State.SET.value,
            minutes=minutes,
            due_at=now + dt.timedelta(minutes=minutes),
            created_at=now,
            updated_at=now,
        )
    )
    checkin_id = int(result.inserted_primary_key[0])
    _audit(session, checkin_id, now, None, State.SET.value, f"set for {minutes} min, {notify}")
    return checkin_id


def get(session: Session, checkin_id: int) -> Checkin | None:
    row = session.execute(sa.select(checkins).where(checkins.c.id == checkin_id)).first()
    return _from_row(row) if row else None


def running_for(session: Session, person: str) -> list[Checkin]:
    query = sa.select(checkins).where(
        (checkins.c.person == person) & checkins.c.state.in_([s.value for s in RUNNING])
    )
    return [_from_row(r) for r in session.execute(query.order_by(checkins.c.id))]


def current(session: Session, person: str) -> Checkin | None:
    """The person's running check-in (the newest), if any."""
    running = running_for(session, person)
    return running[-1] if running else None


def due(session: Session, now: dt.datetime) -> list[Checkin]:
    query = sa.select(checkins).where(
        checkins.c.state.in_([s.value for s in RUNNING]) & (checkins.c.due_at <= now)
    )
    return [_from_row(r) for r in session.execute(query.order_by(checkins.c.due_at))]


def change(
    session: Session,
    checkin_id: int,
    state: State,
    now: dt.datetime,
    *,
    note: str,
    expect: State | None = None,
    due_at: dt.datetime | None = None,
    **values: object,
) -> Checkin | None:
    """Move a check-in on, with an audit row; None if it is no longer in `expect`."""
    current_row = get(session, checkin_id)
    if current_row is None:
        raise LookupError(f"no check-in {checkin_id}")
    before = expect if expect is not None else current_row.state
    if state not in ALLOWED[before]:
        raise NotAllowed(f"check-in {checkin_id}: {before} -> {state} is not allowed")
    updates: dict[str, object] = {"state": state.value, "updated_at": now, "due_at": due_at}
    updates.update(values)
    if state in ENDED:
        updates.update(ended_at=now, note=None, awaiting_note=False, due_at=None)
    if state is State.ACKNOWLEDGED:
        updates["note"] = None  # it has reached the person dealing with it
    result = session.execute(
        sa.update(checkins)
        .where((checkins.c.id == checkin_id) & (checkins.c.state == before.value))
        .values(**updates)
    )
    if not result.rowcount:
        return None
    _audit(session, checkin_id, now, before.value, state.value, note)
    return get(session, checkin_id)


def remark(session: Session, checkin_id: int, now: dt.datetime, text: str) -> None:
    """An audit row for something that happened without a move (an answer, a failed alert)."""
    current_row = get(session, checkin_id)
    if current_row is not None:
        state = current_row.state.value
        _audit(session, checkin_id, now, state, state, text)


def remarked(session: Session, checkin_id: int, text: str) -> bool:
    """Whether the audit trail already holds a row with this note."""
    return any(note == text for *_, note in history(session, checkin_id))


def set_worker(session: Session, checkin_id: int, worker_id: str) -> None:
    """Another worker was alerted instead (the first could not be reached)."""
    session.execute(
        sa.update(checkins).where(checkins.c.id == checkin_id).values(worker_id=worker_id)
    )


def set_note(session: Session, checkin_id: int, sealed_note: str | None) -> bool:
    """The note (or none) for a check-in still waiting for one; False if it no longer is."""
    result = session.execute(
        sa.update(checkins)
        .where((checkins.c.id == checkin_id) & checkins.c.awaiting_note.is_(True))
        .values(note=sealed_note, awaiting_note=False)
    )
    return bool(result.rowcount)


def history(session: Session, checkin_id: int) -> list[tuple[dt.datetime, str | None, str, str]]:
    query = (
        sa.select(
            checkin_events.c.at,
            checkin_events.c.state_from,
            checkin_events.c.state_to,
            checkin_events.c.note,
        )
        .where(checkin_events.c.checkin_id == checkin_id)
        .order_by(checkin_events.c.id)
    )
    return [(stored_utc(at), a, b, n) for at, a, b, n in session.execute(query)]  # type: ignore[misc]


def counts(session: Session) -> dict[str, int]:
    """How many check-ins are in each state (for `blether checkins list`): no people, no notes."""
    query = sa.select(checkins.c.state, sa.func.count()).group_by(checkins.c.state)
    return {state: int(n) for state, n in session.execute(query)}


def all_checkins(session: Session) -> list[Checkin]:
    return [_from_row(r) for r in session.execute(sa.select(checkins).order_by(checkins.c.id))]


def _delete(session: Session, ids: list[int]) -> int:
    if not ids:
        return 0
    events = session.execute(sa.delete(checkin_events).where(checkin_events.c.checkin_id.in_(ids)))
    # SQLite does not cascade without a pragma: messages still owed go explicitly.
    owed = session.execute(sa.delete(outbox).where(outbox.c.checkin_id.in_(ids)))
    session.execute(sa.delete(checkins).where(checkins.c.id.in_(ids)))
    return len(ids) + int(events.rowcount or 0) + int(owed.rowcount or 0)


def erase_person(session: Session, person: str) -> int:
    """/forget: every check-in of this person, its audit rows and messages still owed."""
    query = sa.select(checkins.c.id).where(checkins.c.person == person)
    return _delete(session, [i for (i,) in session.execute(query)])


def purge_ended(session: Session, before: dt.datetime) -> int:
    """Retention: check-ins that ended before `before`, with their audit rows."""
    query = sa.select(checkins.c.id).where(
        checkins.c.state.in_([s.value for s in ENDED]) & (checkins.c.ended_at < before)
    )
    return _delete(session, [i for (i,) in session.execute(query)])
