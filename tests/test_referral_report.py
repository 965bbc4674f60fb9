"""`blether referrals report` on a known set of referrals, moved on with a controlled clock."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import sessionmaker

from blether import referral_report, referrals, worker_desk
from blether.cli import main
from blether.content import ContentLibrary
from blether.handoff_flow import ACCEPT, DECLINE
from tests.test_handoff_flow import JO_CHAT, MONDAY_NOON, SAM_CHAT, flow, new_referral, owed


def minutes(n: float) -> dt.datetime:
    return MONDAY_NOON + dt.timedelta(minutes=n)


def known_referrals(app_sessions: sessionmaker, library: ContentLibrary) -> None:
    """Week 48: Sam is offered three, accepts one, declines one, lets one lapse after a
    reminder; Jo takes the other two. Week 49: Sam accepts one in 30 seconds."""
    machine = flow(library, remind=dt.timedelta(minutes=2))  # the timeout is 5 minutes
    sam, jo = machine.workers["sam"], machine.workers["jo"]

    def step(at: float, work) -> None:  # type: ignore[no-untyped-def]
        with app_sessions.begin() as session:
            work(session, minutes(at))
            owed(session)

    def reply(referral_id: int):  # type: ignore[no-untyped-def]
        def first(session, now):  # type: ignore[no-untyped-def]
            referral = referrals.get(session, referral_id)
            worker_desk.first_reply(session, referral, now)

        return first

    with app_sessions.begin() as session:
        r1, r2, r3 = new_referral(session), new_referral(session), new_referral(session)
    step(0, machine.offer_waiting)  # all three to Sam
    step(1, lambda s, now: machine.answer_offer(s, sam, SAM_CHAT, f"{DECLINE}{r3}", now))
    step(1, machine.offer_waiting)  # r3 to Jo
    step(2, lambda s, now: machine.answer_offer(s, sam, SAM_CHAT, f"{ACCEPT}{r1}", now))
    step(2, machine.offer_waiting)  # r2 reminded (r3's offer to Jo is only a minute old)
    step(3, reply(r1))
    step(3, lambda s, now: machine.answer_offer(s, jo, JO_CHAT, f"{ACCEPT}{r3}", now))
    step(5, machine.offer_waiting)  # r2 lapses and goes to Jo
    step(6, lambda s, now: machine.answer_offer(s, jo, JO_CHAT, f"{ACCEPT}{r2}", now))
    step(10, reply(r2))
    step(11, lambda s, now: machine.end(s, SAM_CHAT, sam, None, now, r1))
    step(11, lambda s, now: machine.end(s, JO_CHAT, jo, None, now, r2))
    with app_sessions.begin() as session:
        assert referrals.record_feedback(session, r1, "tg-person", "helped")
        assert referrals.record_feedback(session, r2, "tg-person", "no")
        r4 = new_referral(session)
    week = 7 * 24 * 60
    step(week, machine.offer_waiting)
    step(week + 0.5, lambda s, now: machine.answer_offer(s, sam, SAM_CHAT, f"{ACCEPT}{r4}", now))


def test_counts_and_times_by_worker_and_week(
    app_sessions: sessionmaker, library: ContentLibrary
) -> None:
    known_referrals(app_sessions, library)
    with app_sessions.begin() as session:
        rows = referral_report.build(session, MONDAY_NOON - dt.timedelta(days=1))
    assert set(rows) == {("2026-W48", "sam"), ("2026-W48", "jo"), ("2026-W49", "sam")}
    sam = rows[("2026-W48", "sam")]
    assert (sam.offers, sam.accepted, sam.declined, sam.lapsed, sam.reminded) == (3, 1, 1, 1, 1)
    assert sam.to_accept == [120.0] and sam.to_first_reply == [60.0]
    assert sam.feedback == {"helped": 1, "some": 0, "no": 0}
    jo = rows[("2026-W48", "jo")]
    assert (jo.offers, jo.accepted, jo.declined, jo.lapsed) == (2, 2, 0, 0)
    assert sorted(jo.to_accept) == [60.0, 120.0] and jo.to_first_reply == [240.0]
    assert jo.feedback == {"helped": 0, "some": 0, "no": 1}
    later = rows[("2026-W49", "sam")]
    assert (later.offers, later.accepted, later.to_accept) == (1, 1, [30.0])
    lines = referral_report.render(rows)
    assert lines[0] == referral_report.HEADER
    jo_line = next(line for line in lines if line.startswith("2026-W48  jo "))
    # Median of 1 and 2 minutes, nearest-rank p90 of the two: 2 minutes.
    assert "1m30s / 2m00s" in jo_line and "4m00s / 4m00s" in jo_line and jo_line.endswith("0/0/1")
    total = next(line for line in lines if line.startswith("2026-W48  all "))
    assert total.split()[2:8] == ["5", "3", "1", "1", "0", "1"]
    assert total.endswith("1/0/1")


def test_p90_is_a_value_that_happened() -> None:
    assert referral_report.p90([float(n) for n in range(1, 11)]) == 9.0
    assert referral_report.p90([5.0]) == 5.0


@pytest.mark.parametrize("app_sessions", ["sqlite"], indirect=True)
def test_the_command_prints_the_table_without_identities(
    app_sessions: sessionmaker,
    library: ContentLibrary,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    known_referrals(app_sessions, library)
    monkeypatch.setenv("DATABASE_URL", str(app_sessions.kw["bind"].url))
    assert main(["referrals", "report", "--weeks", "5200"]) == 0
    out = capsys.readouterr().out
    assert "2026-W48  sam" in out and "2026-W49  sam" in out and "2026-W48  all" in out
    assert "tg-person" not in out and "coming off blues" not in out
