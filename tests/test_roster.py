"""Duty rosters in Europe/London, across the clock change, and round-robin choice."""

from __future__ import annotations

import datetime as dt

import pytest

from blether.roster import LONDON, Candidate, HoursError, Rota, parse_day, pick_worker

UTC = dt.timezone.utc
WEEKDAYS = {
    "mon": "09:00-17:00",
    "tue": "09:00-17:00",
    "wed": "09:00-17:00",
    "thu": "09:00-17:00",
    "fri": "09:00-16:00",
}


def london(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LONDON)


def test_on_duty_in_local_time_across_the_clock_change() -> None:
    rota = Rota.parse(WEEKDAYS)
    # Winter (GMT): 09:30 local is 09:30 UTC.
    assert rota.on_duty(dt.datetime(2026, 11, 23, 9, 30, tzinfo=UTC))
    # Summer (BST): 08:30 UTC is 09:30 local, so on duty; 16:30 UTC is 17:30 local, so off.
    assert rota.on_duty(dt.datetime(2026, 6, 1, 8, 30, tzinfo=UTC))
    assert not rota.on_duty(dt.datetime(2026, 6, 1, 16, 30, tzinfo=UTC))
    # The Monday after the spring change (29 March 2026): 08:15 UTC is 09:15 BST.
    assert rota.on_duty(dt.datetime(2026, 3, 30, 8, 15, tzinfo=UTC))
    assert not rota.on_duty(dt.datetime(2026, 3, 27, 8, 15, tzinfo=UTC))  # 08:15 GMT, Friday


def test_out_of_hours_and_next_shift() -> None:
    rota = Rota.parse(WEEKDAYS)
    friday_evening = london(2026, 11, 27, 18, 0)
    assert not rota.on_duty(friday_evening)
    assert rota.next_on(friday_evening) == london(2026, 11, 30, 9, 0)
    saturday_before_clocks_go_back = london(2026, 10, 24, 12, 0)
    after = rota.next_on(saturday_before_clocks_go_back)
    assert after == london(2026, 10, 26, 9, 0)
    assert after is not None and after.utcoffset() == dt.timedelta(0)  # GMT again by Monday


def test_overnight_and_split_shifts() -> None:
    rota = Rota.parse({"fri": "22:00-02:00", "sat": "09:00-12:00, 13:00-17:00"})
    assert rota.on_duty(london(2026, 11, 27, 23, 0))
    assert rota.on_duty(london(2026, 11, 28, 1, 30))
    assert not rota.on_duty(london(2026, 11, 28, 12, 30))
    assert rota.on_duty(london(2026, 11, 28, 13, 0))


@pytest.mark.parametrize("bad", ["9-5", "25:00-26:00", "09:00-24:30", "morning"])
def test_bad_hours_are_rejected(bad: str) -> None:
    with pytest.raises(HoursError):
        parse_day(bad)
    with pytest.raises(HoursError):
        Rota.parse({"monday": "09:00-17:00"})


def test_round_robin_among_workers_on_duty_for_the_area() -> None:
    sam = Candidate("sam", ("Glasgow",), Rota.parse(WEEKDAYS))
    jo = Candidate("jo", ("glasgow",), Rota.parse(WEEKDAYS))
    ali = Candidate("ali", ("Edinburgh",), Rota.parse(WEEKDAYS))
    at = london(2026, 11, 23, 10, 0)
    first = pick_worker([sam, jo, ali], "Glasgow", at, {})
    assert first is not None and first.worker_id == "sam" and first.on_duty
    second = pick_worker([sam, jo, ali], "glasgow", at, {"sam": at})
    assert second is not None and second.worker_id == "jo"
    third = pick_worker([sam, jo, ali], "Glasgow", at, {"sam": at, "jo": at + dt.timedelta(1)})
    assert third is not None and third.worker_id == "sam"
    assert pick_worker([sam, jo], "Glasgow", at, {}, exclude=frozenset({"sam", "jo"})) is None
    assert pick_worker([sam, jo], "Dundee", at, {}) is None


def test_out_of_hours_the_referral_waits_for_the_next_worker_on() -> None:
    sam = Candidate("sam", ("Glasgow",), Rota.parse(WEEKDAYS))
    jo = Candidate("jo", ("Glasgow",), Rota.parse({"sat": "10:00-14:00"}))
    choice = pick_worker([sam, jo], "Glasgow", london(2026, 11, 27, 20, 0), {})
    assert choice is not None and not choice.on_duty
    assert choice.worker_id == "jo" and choice.starts == london(2026, 11, 28, 10, 0)
