"""The check-in state machine alone: no Telegram, no Rasa, a clock the test moves by hand."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from blether import checkins, contacts, outbox
from blether.checkin_flow import ACK, CANCEL, EXTEND, HELP, OK, SKIP, CheckinFlow, Outcome
from blether.checkins import State
from blether.content import ContentLibrary
from blether.content.models import Worker
from blether.sealing import seal, unseal
from blether.tables import checkins as checkins_table
from tests.conftest import ROOT

KEY = b"test-key"
START = dt.datetime(2026, 11, 23, 21, 0, tzinfo=dt.timezone.utc)  # a Monday night
PERSON, PERSON_CHAT = "person-pseudonym", 7001
CONTACT_PERSON, CONTACT_CHAT = "contact-pseudonym", 7002
WORKER_CHAT = 7003
GRACE, ACK_TIMEOUT, CLOSE = (dt.timedelta(minutes=m) for m in (2, 5, 720))


def worker(on_duty: bool) -> Worker:
    hours = {
        d: ("00:00-24:00" if on_duty else None)
        for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    }
    return Worker(
        id="jo",
        name="Jo",
        role="outreach worker",
        service="Test Service",
        areas=["Glasgow"],
        hours=hours,
        telegram_chat=WORKER_CHAT,
    )


def flow(on_duty: bool = True) -> CheckinFlow:
    texts = ContentLibrary(ROOT / "content").checkin()
    return CheckinFlow(texts, {"jo": worker(on_duty)}, KEY, GRACE, ACK_TIMEOUT, CLOSE)


def owed(session: Session) -> list[tuple[int | None, str, tuple[tuple[str, str], ...]]]:
    """Every message the outbox holds, as (chat, text, buttons), then emptied."""
    messages = []
    while (item := outbox.claim_next(session, START + dt.timedelta(days=1))) is not None:
        messages.append((unseal(KEY, item.message.chat), item.message.text, item.message.buttons))
        outbox.sent(session, item.id)
    return messages


def add_contact(session: Session) -> None:
    code = contacts.invite(session, PERSON, seal(KEY, PERSON_CHAT), "Sam", START)
    opened = contacts.open_invite(session, code, CONTACT_PERSON, START)
    assert opened is not None
    assert contacts.accept(session, opened.id, CONTACT_PERSON, seal(KEY, CONTACT_CHAT), START)


def start(session: Session, machine: CheckinFlow, notify: str = "worker", minutes: int = 20) -> int:
    checkin_id = machine.start(
        session,
        person=PERSON,
        chat=seal(KEY, PERSON_CHAT),
        minutes=minutes,
        notify=notify,
        now=START,
    )
    assert checkin_id is not None
    return checkin_id


def at(minutes: float) -> dt.datetime:
    return START + dt.timedelta(minutes=minutes)


def state(session: Session, checkin_id: int) -> State:
    found = checkins.get(session, checkin_id)
    assert found is not None
    return found.state


def test_set_up_then_answered_in_time(app_sessions: sessionmaker) -> None:
    machine = flow()
    with app_sessions.begin() as session:
        checkin_id = start(session, machine)
        set_up = owed(session)
    assert set_up[0][:2] == (
        PERSON_CHAT,
        "OK. I'll check on you at 21:20 (in 20 minutes). If you don't answer, I'll tell "
        "Jo (the worker on duty). Keep your phone near you, charged, with the sound on.",
    )
    assert set_up[1][2] == (("Skip", f"{SKIP}{checkin_id}"),)
    with app_sessions.begin() as session:
        assert machine.take_note(session, PERSON, "flat 2, door's open", at(1))
        assert owed(session) == [
            (PERSON_CHAT, "Got it. I'll only pass that on if you don't answer.", ())
        ]
        assert machine.tick(session, at(19)) == 0  # not yet
        assert machine.tick(session, at(20)) == 1
        [(chat, text, buttons)] = owed(session)
    assert (chat, text) == (
        PERSON_CHAT,
        "Are you OK? Tap I'm OK. If you're not OK, tap I need help or call 999.",
    )
    assert buttons == (
        ("I'm OK", f"{OK}{checkin_id}"),
        ("I need help", f"{HELP}{checkin_id}"),
        ("Add 10 minutes", f"{EXTEND}{checkin_id}"),
    )
    with app_sessions.begin() as session:
        assert machine.answer(session, PERSON, says_ok=True, now=at(21)) is Outcome.DONE
        assert [t for _, t, _ in owed(session)] == [
            "Glad you're OK. The check-in is over, and any note is deleted. "
            "If you use again, send /checkin to set another."
        ]
        ended = checkins.get(session, checkin_id)
        assert ended is not None and ended.state is State.OK and ended.note is None
        assert machine.tick(session, at(60)) == 0


def test_unanswered_reminded_then_contact_alerted_then_acknowledged(
    app_sessions: sessionmaker,
) -> None:
    machine = flow()
    with app_sessions.begin() as session:
        add_contact(session)
        checkin_id = start(session, machine, notify="contact")
        machine.take_note(session, PERSON, "back door, took 4 blues", at(1))
        owed(session)
        machine.tick(session, at(20))
        owed(session)
        machine.tick(session, at(22))
        [(_, remind, _)] = owed(session)
        assert remind.startswith("⚠️ Are you OK?") and "your trusted contact" in remind
        assert machine.tick(session, at(24)) == 1
        sent = owed(session)
    to_contact = next(m for m in sent if m[0] == CONTACT_CHAT)
    assert to_contact[1].startswith(
        "Urgent: Sam asked me to check on them, and hasn't answered for 4 minutes."
    )
    assert "Their note: back door, took 4 blues" in to_contact[1]
    assert "call 999" in to_contact[1] and "I'll tell the worker on duty too" in to_contact[1]
    assert to_contact[2] == (("I'm dealing with it", f"{ACK}{checkin_id}"),)
    to_person = next(m for m in sent if m[0] == PERSON_CHAT)
    assert to_person[1].startswith("I haven't heard from you, so I've told your trusted contact.")
    assert to_person[2] == (("I'm OK", f"{OK}{checkin_id}"), ("I need help", f"{HELP}{checkin_id}"))
    with app_sessions.begin() as session:
        # Only the contact (or the alerted worker) may acknowledge.
        assert (
            machine.acknowledge(session, f"{ACK}{checkin_id}", "someone-else", None, at(25))[0]
            is Outcome.REFUSED
        )
        outcome, text = machine.acknowledge(
            session, f"{ACK}{checkin_id}", CONTACT_PERSON, None, at(25)
        )
        assert (outcome, text) == (
            Outcome.DONE,
            "Thanks. I've noted that you're dealing with it, so I won't tell anyone else. "
            "If you can't reach them, call 999.",
        )
        acknowledged = checkins.get(session, checkin_id)
        assert acknowledged is not None and acknowledged.note is None  # it reached its reader
        assert acknowledged.state is State.ACKNOWLEDGED
        assert machine.tick(session, at(31)) == 0  # no escalation after an acknowledgement
        notes = [n for _, _, _, n in checkins.history(session, checkin_id)]
    assert notes == [
        "set for 20 min, contact",
        "asked",
        "reminded",
        "contact alerted",
        "acknowledged by the contact",
    ]


def test_contact_silent_then_worker_alerted_too(app_sessions: sessionmaker) -> None:
    machine = flow()
    with app_sessions.begin() as session:
        add_contact(session)
        checkin_id = start(session, machine, notify="contact")
        for minute in (20, 22, 24):
            machine.tick(session, at(minute))
        owed(session)
        assert machine.tick(session, at(28)) == 0
        assert machine.tick(session, at(29)) == 1
        [(chat, text, buttons)] = owed(session)
        assert state(session, checkin_id) is State.ESCALATED
    assert chat == WORKER_CHAT
    assert text.startswith(f"Check-in alert #{checkin_id}: someone set a check-in")
    assert "Their trusted contact hasn't answered." in text and "They left no note." in text
    assert buttons == (("I'm dealing with it", f"{ACK}{checkin_id}"),)
    with app_sessions.begin() as session:
        outcome, _ = machine.acknowledge(
            session, f"{ACK}{checkin_id}", "worker-pseudonym", worker(True), at(30)
        )
        assert outcome is Outcome.DONE and state(session, checkin_id) is State.ACKNOWLEDGED


def test_out_of_hours_the_contact_is_told_nobody_else_will_be(app_sessions: sessionmaker) -> None:
    machine = flow(on_duty=False)
    with app_sessions.begin() as session:
        add_contact(session)
        checkin_id = start(session, machine, notify="contact")
        for minute in (20, 22, 24):
            machine.tick(session, at(minute))
        to_contact = next(m for m in owed(session) if m[0] == CONTACT_CHAT)
        assert "No worker is on duty now, so nobody else will be told." in to_contact[1]
        assert "call 999" in to_contact[1]
        assert machine.tick(session, at(40)) == 0  # nobody to escalate to; it waits to close
        assert machine.tick(session, at(24 + 720)) == 1
        assert state(session, checkin_id) is State.CLOSED


def test_nobody_to_tell_is_said_at_set_up_and_nothing_is_stored(app_sessions: sessionmaker) -> None:
    machine = flow(on_duty=False)
    with app_sessions.begin() as session:
        assert (
            machine.start(
                session,
                person=PERSON,
                chat=seal(KEY, PERSON_CHAT),
                minutes=20,
                notify="worker",
                now=START,
            )
            is None
        )
        [(_, text, _)] = owed(session)
        assert text.startswith("No worker will be on duty at that time") and "999" in text
        assert checkins.all_checkins(session) == []


def test_worker_alerted_directly_and_a_late_answer_tells_them(app_sessions: sessionmaker) -> None:
    machine = flow()
    with app_sessions.begin() as session:
        checkin_id = start(session, machine)
        for minute in (20, 22, 24):
            machine.tick(session, at(minute))
        sent = owed(session)
        assert any(chat == WORKER_CHAT and "Check-in alert" in text for chat, text, _ in sent)
        told = [t for c, t, _ in sent if c == PERSON_CHAT][-1]
        assert told.startswith("I haven't heard from you, so I've told Jo (the worker on duty).")
        # The person comes back: asked if they are OK, the worker told they answered.
        assert machine.answer(session, PERSON, says_ok=False, now=at(26)) is Outcome.LATE
        sent = owed(session)
        question = next(m for m in sent if m[0] == PERSON_CHAT)
        assert (
            question[1]
            == "You're back. I told Jo (the worker on duty) because you didn't answer. Are you OK?"
        )
        assert question[2] == (
            ("I'm OK", f"{OK}{checkin_id}"),
            ("I need help", f"{HELP}{checkin_id}"),
        )
        assert any(
            c == WORKER_CHAT
            and t.startswith(f"The person (check-in #{checkin_id}) has just answered me")
            for c, t, _ in sent
        )
        assert machine.tap(session, PERSON, f"{HELP}{checkin_id}", at(27)) is Outcome.NEEDS_HELP
        told = owed(session)
        assert told == [
            (
                WORKER_CHAT,
                f"The person (check-in #{checkin_id}) says they need help. Try to reach them now. "
                "If you can't, or they may be in danger, call 999 and ask for an ambulance.",
                (),
            )
        ]
        # "I need help" never closes an alert: a second tap tells them again, nothing stops.
        assert state(session, checkin_id) is State.ALERTED
        assert machine.tap(session, PERSON, f"{HELP}{checkin_id}", at(28)) is Outcome.NEEDS_HELP
        assert state(session, checkin_id) is State.ALERTED


def test_extend_and_cancel(app_sessions: sessionmaker) -> None:
    machine = flow()
    with app_sessions.begin() as session:
        checkin_id = start(session, machine)
        machine.tick(session, at(20))
        owed(session)
        assert machine.tap(session, PERSON, f"{EXTEND}{checkin_id}", at(21)) is Outcome.DONE
        assert owed(session) == [(PERSON_CHAT, "OK, I'll check on you at 21:31.", ())]
        assert state(session, checkin_id) is State.SET
        assert machine.tick(session, at(30)) == 0
        assert (
            machine.tap(session, "someone-else", f"{CANCEL}{checkin_id}", at(22)) is Outcome.REFUSED
        )
        assert machine.tap(session, PERSON, f"{CANCEL}{checkin_id}", at(22)) is Outcome.DONE
        assert owed(session) == [(PERSON_CHAT, "Check-in cancelled. Any note is deleted.", ())]
        assert machine.tick(session, at(60)) == 0


def test_typing_while_set_is_not_an_answer_and_a_note_is_taken_once(
    app_sessions: sessionmaker,
) -> None:
    machine = flow()
    with app_sessions.begin() as session:
        checkin_id = start(session, machine)
        owed(session)
        assert machine.take_note(session, PERSON, "in the close", at(1))
        assert not machine.take_note(session, PERSON, "what is naloxone", at(2))
        assert machine.answer(session, PERSON, says_ok=False, now=at(2)) is Outcome.NOTHING
        assert state(session, checkin_id) is State.SET
        assert machine.tap(session, PERSON, f"{SKIP}{checkin_id}", at(3)) is Outcome.DONE
        assert owed(session) == [
            (PERSON_CHAT, "Got it. I'll only pass that on if you don't answer.", ())
        ]


def test_two_timers_at_once_make_one_move(app_sessions: sessionmaker) -> None:
    """Two bridges (or a tap and a timer) race: the conditional update lets one through."""
    machine = flow()
    with app_sessions.begin() as session:
        checkin_id = start(session, machine)
        owed(session)
    with app_sessions.begin() as session:
        found = checkins.get(session, checkin_id)
        assert found is not None
    with app_sessions.begin() as session:
        assert machine.tick(session, at(20)) == 1
    with app_sessions.begin() as session:
        # The second saw the check-in as SET before the first moved it.
        assert machine._step(session, found, at(20)) == 0
        assert len(owed(session)) == 1


def test_an_undeliverable_alert_to_the_contact_tells_the_worker(app_sessions: sessionmaker) -> None:
    machine = flow()
    with app_sessions.begin() as session:
        add_contact(session)
        checkin_id = start(session, machine, notify="contact")
        for minute in (20, 22, 24):
            machine.tick(session, at(minute))
        owed(session)
        contact = contacts.active_for(session, PERSON)
        assert contact is not None and contact.chat is not None
        assert machine.undeliverable(session, checkin_id, contact.chat, at(24.5)) == 1
        sent = owed(session)
    [(_, text, _)] = [m for m in sent if m[0] == WORKER_CHAT]
    assert "I couldn't reach their trusted contact." in text
    # The person was told their contact knew: now they hear who really does.
    [(_, told, _)] = [m for m in sent if m[0] == PERSON_CHAT]
    assert told.startswith("I couldn't reach your trusted contact, so I've told Jo (the worker")


def test_typing_something_other_than_ok_asks_again_and_the_check_goes_on(
    app_sessions: sessionmaker,
) -> None:
    machine = flow()
    with app_sessions.begin() as session:
        checkin_id = start(session, machine)
        machine.tick(session, at(20))
        machine.tick(session, at(22))
        owed(session)
        for minute in (22.5, 23, 23.5):  # "feel weird", "eh?": never the end of the check
            assert (
                machine.answer(session, PERSON, says_ok=False, now=at(minute))
                is Outcome.ASKED_AGAIN
            )
        [(_, text, buttons)] = owed(session)[-1:]
        assert text == "Thanks for answering. Are you OK? Tap I'm OK, or I need help."
        # Nor can typing put the alert off: it goes at the time it was due.
        assert state(session, checkin_id) is State.REMINDED
        assert machine.tick(session, at(24)) == 1
        assert state(session, checkin_id) is State.ALERTED


def test_typed_help_counts_as_the_button(app_sessions: sessionmaker) -> None:
    machine = flow()
    with app_sessions.begin() as session:
        checkin_id = start(session, machine)
        assert machine.typed_help(session, PERSON, at(5)) is Outcome.NOTHING  # not asked yet
        machine.tick(session, at(20))
        owed(session)
        assert machine.typed_help(session, PERSON, at(21)) is Outcome.NEEDS_HELP
        assert state(session, checkin_id) is State.ALERTED
        sent = owed(session)
    assert any(c == WORKER_CHAT and "the person asked for help" in t for c, t, _ in sent)


def test_words_after_the_contact_alert_do_not_stop_the_worker_being_told(
    app_sessions: sessionmaker,
) -> None:
    machine = flow()
    with app_sessions.begin() as session:
        add_contact(session)
        checkin_id = start(session, machine, notify="contact")
        for minute in (20, 22, 24):
            machine.tick(session, at(minute))
        owed(session)
        assert machine.answer(session, PERSON, says_ok=False, now=at(25)) is Outcome.LATE
        assert machine.answer(session, PERSON, says_ok=False, now=at(26)) is Outcome.LATE
        sent = owed(session)
        # The contact hears once that they answered; the person is asked each time.
        assert sum(c == CONTACT_CHAT for c, _, _ in sent) == 1
        assert machine.tick(session, at(29)) == 1
        assert state(session, checkin_id) is State.ESCALATED
        assert any(c == WORKER_CHAT for c, _, _ in owed(session))


def test_an_undeliverable_worker_alert_goes_to_the_next_worker(app_sessions: sessionmaker) -> None:
    texts = ContentLibrary(ROOT / "content").checkin()
    other = worker(True).copy(update={"id": "ali", "name": "Ali", "telegram_chat": 7004})
    machine = CheckinFlow(texts, {"jo": worker(True), "ali": other}, KEY, GRACE, ACK_TIMEOUT, CLOSE)
    with app_sessions.begin() as session:
        checkin_id = start(session, machine)
        for minute in (20, 22, 24):
            machine.tick(session, at(minute))
        owed(session)
        assert machine.undeliverable(session, checkin_id, seal(KEY, WORKER_CHAT), at(24.5)) == 1
        sent = owed(session)
        found = checkins.get(session, checkin_id)
    assert found is not None and found.worker_id == "ali"
    assert any(c == 7004 and "I couldn't reach the worker I told first." in t for c, t, _ in sent)
    assert any(
        c == PERSON_CHAT and t.startswith("I couldn't reach the worker I told") for c, t, _ in sent
    )


def test_i_need_help_before_the_alert_tells_the_contact_at_once(app_sessions: sessionmaker) -> None:
    machine = flow()
    with app_sessions.begin() as session:
        add_contact(session)
        checkin_id = start(session, machine, notify="contact")
        machine.tick(session, at(20))
        owed(session)
        assert machine.tap(session, PERSON, f"{HELP}{checkin_id}", at(21)) is Outcome.NEEDS_HELP
        sent = owed(session)
        assert state(session, checkin_id) is State.ALERTED
    [(_, alert, _)] = [m for m in sent if m[0] == CONTACT_CHAT]
    assert alert.startswith("Urgent: Sam has asked for help on Blether.")
    assert [t for c, t, _ in sent if c == PERSON_CHAT] == [
        "I've told your trusted contact that you need help."
    ]


def test_coming_back_after_nobody_could_be_told(app_sessions: sessionmaker) -> None:
    machine = flow()
    with app_sessions.begin() as session:
        checkin_id = start(session, machine)
        machine.workers["jo"] = worker(False)  # the shift ended before the alert
        for minute in (20, 22, 24):
            machine.tick(session, at(minute))
        assert state(session, checkin_id) is State.NOBODY
        assert owed(session)[-1][1].startswith("I haven't heard from you, and I couldn't reach")
        assert machine.answer(session, PERSON, says_ok=False, now=at(30)) is Outcome.LATE
        assert owed(session)[-1][1].startswith("Glad you're back. I couldn't reach anyone")
        assert state(session, checkin_id) is State.CLOSED


def test_a_withdrawn_contact_means_the_worker_is_told(app_sessions: sessionmaker) -> None:
    machine = flow()
    with app_sessions.begin() as session:
        add_contact(session)
        checkin_id = start(session, machine, notify="contact")
        assert contacts.withdraw(session, CONTACT_PERSON)
        for minute in (20, 22, 24):
            machine.tick(session, at(minute))
        assert any(c == WORKER_CHAT for c, _, _ in owed(session))
        assert checkins.get(session, checkin_id).worker_id == "jo"  # type: ignore[union-attr]


def test_forget_and_retention_erase_check_ins_with_their_trail_and_messages(
    app_sessions: sessionmaker,
) -> None:
    machine = flow()
    with app_sessions.begin() as session:
        add_contact(session)
        first = start(session, machine, notify="contact")
        machine.tap(session, PERSON, f"{CANCEL}{first}", at(1))
        start(session, machine)  # still running, messages still owed
        assert checkins.erase_person(session, PERSON) > 2
        assert contacts.erase_person(session, PERSON) == 1
        assert checkins.all_checkins(session) == []
        assert outbox.count(session) == 0
        assert session.execute(sa.select(sa.func.count()).select_from(checkins_table)).scalar() == 0
    with app_sessions.begin() as session:
        ended = start(session, machine)
        machine.tap(session, PERSON, f"{CANCEL}{ended}", at(1))
        running = start(session, machine)  # replaces nothing: the first ended already
        assert checkins.counts(session) == {"cancelled": 1, "set": 1}
        assert checkins.purge_ended(session, at(0.5)) == 0  # ended after the cutoff: kept
        assert checkins.purge_ended(session, at(2)) >= 2  # the check-in and its trail
        assert checkins.counts(session) == {"set": 1}
        assert state(session, running) is State.SET


@pytest.mark.parametrize("minutes, expected", [(1, 5), (20, 20), (999, 240)])
def test_times_are_kept_within_bounds(
    app_sessions: sessionmaker, minutes: int, expected: int
) -> None:
    with app_sessions.begin() as session:
        checkin_id = start(session, flow(), minutes=minutes)
        found = checkins.get(session, checkin_id)
        assert found is not None and found.minutes == expected
