"""Referrals and their audit trail, on SQLite and on the local PostgreSQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from blether import referrals
from blether.cli import main
from blether.content import ContentLibrary
from blether.db import make_engine, make_sessionmaker, upgrade
from blether.referral_flow import make_referral, normalise_urgency
from blether.tables import referral_events
from blether.tables import referrals as referral_table
from tests.conftest import ROOT

NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.timezone.utc)  # a Monday, 10:00 in London


@pytest.fixture
def sessions(app_sessions: sessionmaker) -> sessionmaker:
    return app_sessions


def new(session, person: str = "tg-person", **kw) -> int:  # type: ignore[no-untyped-def]
    return referrals.create(
        session,
        person=person,
        contact="sealed",
        area="Glasgow",
        urgency=kw.get("urgency", "today"),
        topic="request_human",
        help_text=kw.get("help_text"),
        now=kw.get("now", NOW),
    )


def test_status_changes_are_audited_and_contact_goes_at_close(sessions: sessionmaker) -> None:
    with sessions.begin() as session:
        rid = new(session, help_text="coming off blues")
        referrals.change(session, rid, referrals.OFFERED, NOW, worker_id="sam")
        referrals.change(session, rid, referrals.ACCEPTED, NOW)
        assert referrals.active_for_person(session, "tg-person").id == rid  # type: ignore[union-attr]
        assert [r.id for r in referrals.accepted_by(session, "sam")] == [rid]
        closed = referrals.change(session, rid, referrals.CLOSED, NOW, note="ended")
        assert closed.contact is None and closed.closed_at == NOW
        steps = [(b, a) for _, b, a, _, _ in referrals.history(session, rid)]
    assert steps == [
        (None, "new"),
        ("new", "offered"),
        ("offered", "accepted"),
        ("accepted", "closed"),
    ]


def test_round_robin_memory_and_tried_workers(sessions: sessionmaker) -> None:
    with sessions.begin() as session:
        rid = new(session)
        referrals.change(session, rid, referrals.OFFERED, NOW, worker_id="sam")
        referrals.change(session, rid, referrals.NEW, NOW, note="declined")
        referrals.change(
            session, rid, referrals.OFFERED, NOW + dt.timedelta(minutes=1), worker_id="jo"
        )
        assert referrals.tried_workers(session, rid) == {"sam", "jo"}
        assert referrals.last_offered(session)["jo"] == NOW + dt.timedelta(minutes=1)


def test_erase_person_and_purge_leave_no_rows(sessions: sessionmaker) -> None:
    with sessions.begin() as session:
        mine = new(session, person="tg-me")
        other = new(session, person="tg-other")
        old = new(session, person="tg-old")
        referrals.change(session, old, referrals.CLOSED, NOW - dt.timedelta(days=40))
        assert referrals.erase_person(session, "tg-me") >= 2
        assert referrals.purge_finished(session, NOW - dt.timedelta(days=30)) >= 3
        ids = {r.id for r in referrals.all_referrals(session)}
        events = {e for (e,) in session.execute(sa.select(referral_events.c.referral_id))}
    assert ids == {other} and events == {other} and mine not in ids


def test_make_referral_picks_a_worker_on_duty_and_says_so(sessions: sessionmaker) -> None:
    library = ContentLibrary(ROOT / "content")
    with sessions.begin() as session:
        said = make_referral(
            session,
            library,
            person="tg-p",
            contact=None,
            area="Glasgow",
            help_text="-",
            urgency="today",
            topic="request_human",
            now=NOW,
        )
        second = make_referral(
            session,
            library,
            person="tg-q",
            contact=None,
            area="glasgow",
            help_text="detox",
            urgency="today",
            topic="request_human",
            now=NOW + dt.timedelta(hours=3),
        )
        rows = referrals.all_referrals(session)
    assert said[0].startswith("Thanks. I've passed this to Sam (Harm reduction worker")
    assert second[0].startswith("Thanks. I've passed this to Jo (Recovery worker")
    assert [r.worker_id for r in rows] == ["example-sam", "example-jo"]
    assert rows[0].help_text is None and rows[1].help_text == "detox"


def test_out_of_hours_the_person_is_told_when(sessions: sessionmaker) -> None:
    library = ContentLibrary(ROOT / "content")
    sunday_night = dt.datetime(2026, 11, 29, 22, 0, tzinfo=dt.timezone.utc)
    with sessions.begin() as session:
        said = make_referral(
            session,
            library,
            person="tg-p",
            contact=None,
            area="Edinburgh",
            help_text=None,
            urgency="whenever",
            topic="request_human",
            now=sunday_night,
        )
        nowhere = make_referral(
            session,
            library,
            person="tg-p",
            contact=None,
            area="Oban",
            help_text=None,
            urgency="whenever",
            topic="request_human",
            now=sunday_night,
        )
    assert "who is next working tomorrow at 10:00" in said[0] and "116 123" in said[0]
    assert nowhere[0].startswith("Sorry, there's no worker")


def test_urgency_words() -> None:
    assert normalise_urgency("Today") == "today"
    assert normalise_urgency("this week") == "this_week"
    assert normalise_urgency("no rush really") == "whenever"


def test_staff_commands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path}/app.db"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("BLETHER_TRACKER_URL", f"sqlite:///{tmp_path}/tracker.db")
    upgrade(url)
    with make_sessionmaker(make_engine(url)).begin() as session:
        rid = new(session)
    assert main(["referrals", "list"]) == 0
    assert f"#{rid}" in capsys.readouterr().out
    assert main(["referrals", "reassign", str(rid), "example-jo"]) == 0
    assert main(["referrals", "reassign", str(rid), "nobody"]) == 1
    assert main(["referrals", "show", str(rid)]) == 0
    assert "reassigned by staff" in capsys.readouterr().out
    assert main(["referrals", "close", str(rid)]) == 0
    assert main(["referrals", "close", str(rid)]) == 1
    assert main(["purge", "--older-than", "1"]) == 0
    with make_sessionmaker(make_engine(url)).begin() as session:
        session.execute(sa.update(referral_table).values(closed_at=NOW - dt.timedelta(days=5)))
    assert main(["purge", "--older-than", "2"]) == 0
    assert "purged 4 referral and audit rows" in capsys.readouterr().out.splitlines()[-1]


def test_a_referral_number_is_never_given_twice(sessions: sessionmaker) -> None:
    """Workers reply to "#12": after /forget erases the newest referral, the next one must
    not take its number (SQLite reuses the highest id unless the table is AUTOINCREMENT)."""
    with sessions.begin() as session:
        new(session, person="tg-kept")
        erased = new(session, person="tg-forgets")
        referrals.erase_person(session, "tg-forgets")
    with sessions.begin() as session:
        assert new(session, person="tg-next") > erased
