"""Trusted contacts for check-ins: one-time invite links, agreement, withdrawal, removal.

No Telegram here. A person invites with a name they choose to be shown by; the link's code
is kept only as a hash and works once, for INVITE_VALID. The contact opens it (their
pseudonym is noted so that only they can answer), reads what they agree to, and agrees or
not. Either side can end it at any time. The caller opens the unit of work.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from blether.clock import stored_utc
from blether.tables import checkins, trusted_contacts

INVITE_VALID = dt.timedelta(hours=24)
INVITED, OPENED, ACTIVE = "invited", "opened", "active"
# Telegram's deep links allow A-Z, a-z, 0-9, _ and - (up to 64 characters).
CODE_BYTES = 18


@dataclass(frozen=True)
class Contact:
    id: int
    person: str
    shown_name: str
    status: str
    contact_person: str | None
    chat: str | None  # sealed
    person_chat: str  # sealed: where the person is told of the contact's answers


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _from_row(row: sa.Row) -> Contact:
    m = row._mapping
    return Contact(
        m["id"],
        m["person"],
        m["shown_name"],
        m["status"],
        m["contact_person"],
        m["chat"],
        m["person_chat"],
    )


def invite(
    session: Session, person: str, person_chat: str, shown_name: str, now: dt.datetime
) -> str:
    """A new one-time code for this person; an earlier unanswered invite stops working."""
    session.execute(
        sa.delete(trusted_contacts).where(
            (trusted_contacts.c.person == person) & (trusted_contacts.c.status != ACTIVE)
        )
    )
    code = secrets.token_urlsafe(CODE_BYTES)
    session.execute(
        sa.insert(trusted_contacts).values(
            person=person,
            shown_name=shown_name.strip()[:40],
            person_chat=person_chat,
            status=INVITED,
            invite_hash=_hash(code),
            invite_expires=now + INVITE_VALID,
            created_at=now,
        )
    )
    return code


def open_invite(session: Session, code: str, opener: str, now: dt.datetime) -> Contact | None:
    """The contact opened the link: the invite, now theirs alone to answer; None if not valid."""
    row = session.execute(
        sa.select(trusted_contacts).where(trusted_contacts.c.invite_hash == _hash(code))
    ).first()
    if row is None:
        return None
    expires = stored_utc(row.invite_expires)
    if row.status == ACTIVE or expires is None or expires < now or row.person == opener:
        return None
    if row.status == OPENED and row.contact_person != opener:
        return None
    session.execute(
        sa.update(trusted_contacts)
        .where(trusted_contacts.c.id == row.id)
        .values(status=OPENED, contact_person=opener)
    )
    return get(session, row.id)


def accept(
    session: Session, contact_id: int, opener: str, sealed_chat: str, now: dt.datetime
) -> Contact | None:
    """The contact agreed; the person's earlier contact, if any, is replaced. None if refused."""
    row = get(session, contact_id)
    if row is None or row.status != OPENED or row.contact_person != opener:
        return None
    session.execute(
        sa.delete(trusted_contacts).where(
            (trusted_contacts.c.person == row.person)
            & (trusted_contacts.c.status == ACTIVE)
            & (trusted_contacts.c.id != contact_id)
        )
    )
    session.execute(
        sa.update(trusted_contacts)
        .where(trusted_contacts.c.id == contact_id)
        .values(
            status=ACTIVE,
            chat=sealed_chat,
            accepted_at=now,
            invite_hash=None,
            invite_expires=None,
        )
    )
    return get(session, contact_id)


def decline(session: Session, contact_id: int, opener: str) -> Contact | None:
    """The contact said no: the invite is gone; returns it (to tell the person), or None."""
    row = get(session, contact_id)
    if row is None or row.status != OPENED or row.contact_person != opener:
        return None
    session.execute(sa.delete(trusted_contacts).where(trusted_contacts.c.id == contact_id))
    return row


def get(session: Session, contact_id: int) -> Contact | None:
    row = session.execute(
        sa.select(trusted_contacts).where(trusted_contacts.c.id == contact_id)
    ).first()
    return _from_row(row) if row else None


def active_for(session: Session, person: str) -> Contact | None:
    row = session.execute(
        sa.select(trusted_contacts).where(
            (trusted_contacts.c.person == person) & (trusted_contacts.c.status == ACTIVE)
        )
    ).first()
    return _from_row(row) if row else None


def remove(session: Session, person: str) -> Contact | None:
    """The person removes their contact (and any open invite); the removed contact, if any."""
    active = active_for(session, person)
    if active is not None:
        # A running check-in that would have told them now tells the worker on duty instead
        # (SQLite does not apply the foreign key's ON DELETE SET NULL).
        session.execute(
            sa.update(checkins).where(checkins.c.contact_id == active.id).values(contact_id=None)
        )
    session.execute(sa.delete(trusted_contacts).where(trusted_contacts.c.person == person))
    return active


def withdraw(session: Session, contact_person: str) -> list[Contact]:
    """The contact stops being anyone's contact; those they were contact for (to tell them)."""
    rows = session.execute(
        sa.select(trusted_contacts).where(trusted_contacts.c.contact_person == contact_person)
    ).all()
    if rows:
        ids = [r.id for r in rows]
        # A running check-in that would have told them now tells the worker on duty instead.
        session.execute(
            sa.update(checkins).where(checkins.c.contact_id.in_(ids)).values(contact_id=None)
        )
        session.execute(sa.delete(trusted_contacts).where(trusted_contacts.c.id.in_(ids)))
    return [_from_row(r) for r in rows if r.status == ACTIVE]


def erase_person(session: Session, pseudonym: str) -> int:
    """/forget: this person's contacts and invites, and any link where they are the contact."""
    mine = session.execute(
        sa.delete(trusted_contacts).where(trusted_contacts.c.person == pseudonym)
    )
    return int(mine.rowcount or 0) + len(withdraw(session, pseudonym))


def purge_expired(session: Session, now: dt.datetime) -> int:
    """Retention: invites never answered in time."""
    result = session.execute(
        sa.delete(trusted_contacts).where(
            (trusted_contacts.c.status != ACTIVE) & (trusted_contacts.c.invite_expires < now)
        )
    )
    return int(result.rowcount or 0)
