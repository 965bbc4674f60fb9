"""The outbox: claimed before sending, never sent by two, retried, then given up."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import sessionmaker

from blether import outbox

NOW = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.timezone.utc)


def message(text: str) -> outbox.Message:
    return outbox.Message("sealed-chat", text, (("Accept", "ref:accept:1"),))


def test_messages_go_oldest_first_and_each_to_one_sender(app_sessions: sessionmaker) -> None:
    with app_sessions.begin() as session:
        outbox.add(session, message("first"), NOW, None)
        outbox.add(session, message("second"), NOW, None)
    with app_sessions.begin() as session:
        one = outbox.claim_next(session, NOW)
    with app_sessions.begin() as session:
        other = outbox.claim_next(session, NOW)  # another bridge, at the same moment
    assert one is not None and other is not None
    assert (one.message.text, other.message.text) == ("first", "second")
    assert one.message.buttons == (("Accept", "ref:accept:1"),)
    with app_sessions.begin() as session:
        assert outbox.claim_next(session, NOW) is None
        outbox.sent(session, one.id)
        outbox.sent(session, other.id)
        assert outbox.count(session) == 0


def test_a_failed_send_is_tried_again_after_the_claim_expires_then_given_up(
    app_sessions: sessionmaker,
) -> None:
    with app_sessions.begin() as session:
        outbox.add(session, message("offer"), NOW, None)
    when = NOW
    for attempt in range(1, outbox.MAX_ATTEMPTS + 1):
        with app_sessions.begin() as session:
            owed = outbox.claim_next(session, when)
            assert owed is not None and owed.attempts == attempt
            gave_up = outbox.failed(session, owed)
            assert gave_up == (attempt == outbox.MAX_ATTEMPTS)
        with app_sessions.begin() as session:  # not again before the claim expires
            assert outbox.claim_next(session, when + dt.timedelta(seconds=1)) is None
        when += outbox.CLAIM_EXPIRES + dt.timedelta(seconds=1)
    with app_sessions.begin() as session:
        assert outbox.count(session) == 0


def test_a_claim_left_by_a_crash_is_taken_again(app_sessions: sessionmaker) -> None:
    with app_sessions.begin() as session:
        outbox.add(session, message("owed"), NOW, None)
        assert outbox.claim_next(session, NOW) is not None  # then the process died
    later = NOW + outbox.CLAIM_EXPIRES + dt.timedelta(seconds=1)
    with app_sessions.begin() as session:
        again = outbox.claim_next(session, later)
        assert again is not None and again.message.text == "owed"
