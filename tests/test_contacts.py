"""Trusted contacts: a one-time link, agreement by the one who opened it, withdrawal, removal."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from blether import contacts
from blether.sealing import seal
from blether.tables import trusted_contacts

KEY = b"test-key"
NOW = dt.datetime(2026, 11, 23, 20, 0, tzinfo=dt.timezone.utc)


def invite(session, person: str = "person") -> str:  # type: ignore[no-untyped-def]
    return contacts.invite(session, person, seal(KEY, 1), "Sam", NOW)


def test_a_link_works_once_for_the_one_who_opened_it(app_sessions: sessionmaker) -> None:
    with app_sessions.begin() as session:
        code = invite(session)
        assert len(code) >= 20 and code.replace("-", "").replace("_", "").isalnum()
        assert contacts.open_invite(session, code, "person", NOW) is None  # not yourself
        opened = contacts.open_invite(session, code, "contact", NOW)
        assert opened is not None and opened.shown_name == "Sam"
        assert contacts.open_invite(session, code, "someone-else", NOW) is None
        assert contacts.accept(session, opened.id, "someone-else", seal(KEY, 3), NOW) is None
        agreed = contacts.accept(session, opened.id, "contact", seal(KEY, 2), NOW)
        assert agreed is not None and agreed.status == contacts.ACTIVE
        assert contacts.open_invite(session, code, "contact", NOW) is None  # used
        assert contacts.active_for(session, "person") == agreed


def test_a_link_expires_after_a_day_and_only_its_hash_is_kept(app_sessions: sessionmaker) -> None:
    with app_sessions.begin() as session:
        code = invite(session)
        row = session.execute(sa.select(trusted_contacts)).one()
        assert code not in str(tuple(row))
        later = NOW + contacts.INVITE_VALID + dt.timedelta(seconds=1)
        assert contacts.open_invite(session, code, "contact", later) is None
        assert contacts.purge_expired(session, later) == 1


def test_a_new_invite_replaces_an_unanswered_one_and_agreeing_replaces_the_old_contact(
    app_sessions: sessionmaker,
) -> None:
    with app_sessions.begin() as session:
        first = invite(session)
        second = invite(session)
        assert contacts.open_invite(session, first, "contact", NOW) is None
        opened = contacts.open_invite(session, second, "contact", NOW)
        assert opened and contacts.accept(session, opened.id, "contact", seal(KEY, 2), NOW)
        third = invite(session)
        newer = contacts.open_invite(session, third, "new-contact", NOW)
        assert newer and contacts.accept(session, newer.id, "new-contact", seal(KEY, 4), NOW)
        active = contacts.active_for(session, "person")
        assert active is not None and active.contact_person == "new-contact"


def test_declining_withdrawing_and_removing(app_sessions: sessionmaker) -> None:
    with app_sessions.begin() as session:
        opened = contacts.open_invite(session, invite(session), "contact", NOW)
        assert opened and contacts.decline(session, opened.id, "contact")
        assert contacts.active_for(session, "person") is None
        opened = contacts.open_invite(session, invite(session), "contact", NOW)
        assert opened and contacts.accept(session, opened.id, "contact", seal(KEY, 2), NOW)
        [gone] = contacts.withdraw(session, "contact")
        assert gone.person == "person" and contacts.active_for(session, "person") is None
        assert contacts.withdraw(session, "contact") == []
        opened = contacts.open_invite(session, invite(session), "contact", NOW)
        assert opened and contacts.accept(session, opened.id, "contact", seal(KEY, 2), NOW)
        removed = contacts.remove(session, "person")
        assert removed is not None and removed.chat is not None
        assert contacts.active_for(session, "person") is None


def test_forget_erases_both_sides(app_sessions: sessionmaker) -> None:
    with app_sessions.begin() as session:
        opened = contacts.open_invite(session, invite(session, "a"), "b", NOW)
        assert opened and contacts.accept(session, opened.id, "b", seal(KEY, 2), NOW)
        opened = contacts.open_invite(session, invite(session, "b"), "c", NOW)
        assert opened and contacts.accept(session, opened.id, "c", seal(KEY, 3), NOW)
        # b forgets: their own contact (c) and their place as a's contact both go.
        assert contacts.erase_person(session, "b") == 2
        assert contacts.active_for(session, "a") is None
        assert contacts.active_for(session, "b") is None
