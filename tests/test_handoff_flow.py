"""The handoff state machine on its own: every transition, with a clock the test controls."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session, sessionmaker

from blether import outbox, referrals
from blether.content import ContentLibrary
from blether.content.models import Worker
from blether.handoff_flow import ACCEPT, DECLINE, Answer, Flow
from blether.sealing import seal, unseal
from tests.conftest import waiting_referral

KEY = b"flow-test-key"
PERSON_CHAT = 555000901
SAM_CHAT, JO_CHAT = 777000901, 777000902
MONDAY_NOON = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.timezone.utc)
ALWAYS = {day: "00:00-24:00" for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
NEVER: dict[str, str | None] = {day: None for day in ALWAYS}


def worker(worker_id: str, chat: int, hours: dict[str, str | None], max_active: int = 3) -> Worker:
    return Worker(
        max_active=max_active,
        id=worker_id,
        name=worker_id.title(),
        role="Harm reduction worker",
        service="Test service",
        areas=["Glasgow"],
        hours=hours,
        telegram_chat=chat,
    )


def flow(
    library: ContentLibrary,
    jo_on_duty: bool = True,
    sam_max: int = 3,
    jo_max: int = 3,
    remind: dt.timedelta | None = None,
) -> Flow:
    workers = {
        "sam": worker("sam", SAM_CHAT, ALWAYS, sam_max),
        "jo": worker("jo", JO_CHAT, ALWAYS if jo_on_duty else NEVER, jo_max),
    }
    return Flow(library.referral(), workers, KEY, dt.timedelta(minutes=5), remind)


def new_referral(
    session: Session,
    worker_id: str = "sam",
    person: str = "tg-person",
    chat: int = PERSON_CHAT,
    help_text: str | None = "coming off blues",
) -> int:
    return waiting_referral(session, person, seal(KEY, chat), worker_id, MONDAY_NOON, help_text)


def owed(session: Session) -> list[tuple[int | None, str, tuple[tuple[str, str], ...]]]:
    """Everything in the outbox as (chat, text, buttons), emptied as if sent."""
    found = []
    while (item := outbox.claim_next(session, MONDAY_NOON)) is not None:
        found.append((unseal(KEY, item.message.chat), item.message.text, item.message.buttons))
        outbox.sent(session, item.id)
    return found


def status(session: Session, referral_id: int) -> str:
    found = referrals.get(session, referral_id)
    assert found is not None
    return found.status


def test_an_offer_is_made_once_with_buttons(
    app_sessions: sessionmaker, library: ContentLibrary
) -> None:
    machine = flow(library)
    with app_sessions.begin() as session:
        rid = new_referral(session)
    with app_sessions.begin() as session:
        assert machine.offer_waiting(session, MONDAY_NOON) == 1
    with app_sessions.begin() as session:
        assert status(session, rid) == referrals.OFFERED
        [(chat, text, buttons)] = owed(session)
        assert chat == SAM_CHAT and "coming off blues" in text
        assert [data for _, data in buttons] == [f"{ACCEPT}{rid}", f"{DECLINE}{rid}"]
    with app_sessions.begin() as session:  # the next pass, a minute on: nothing new
        assert machine.offer_waiting(session, MONDAY_NOON + dt.timedelta(minutes=1)) == 0
        assert owed(session) == []


def test_an_unanswered_offer_goes_to_the_next_worker(
    app_sessions: sessionmaker, library: ContentLibrary
) -> None:
    machine, texts = flow(library), library.referral()
    with app_sessions.begin() as session:
        rid = new_referral(session)
        machine.offer_waiting(session, MONDAY_NOON)
        owed(session)
    later = MONDAY_NOON + dt.timedelta(minutes=5)
    with app_sessions.begin() as session:
        machine.offer_waiting(session, later)
    with app_sessions.begin() as session:
        referral = referrals.get(session, rid)
        assert referral is not None and referral.worker_id == "jo"
        assert referral.status == referrals.OFFERED  # offered to Jo in the same pass
        messages = owed(session)
        assert (PERSON_CHAT, texts.taking_longer, ()) in messages
        assert [chat for chat, _, _ in messages if chat == JO_CHAT] == [JO_CHAT]


def test_an_unanswered_offer_with_nobody_else_on_duty_expires(
    app_sessions: sessionmaker, library: ContentLibrary
) -> None:
    machine = flow(library, jo_on_duty=False)
    with app_sessions.begin() as session:
        rid = new_referral(session)
        machine.offer_waiting(session, MONDAY_NOON)
        owed(session)
    with app_sessions.begin() as session:
        machine.offer_waiting(session, MONDAY_NOON + dt.timedelta(minutes=6))
    with app_sessions.begin() as session:
        referral = referrals.get(session, rid)
        assert referral is not None and referral.status == referrals.EXPIRED
        assert referral.contact is None  # the way to reach them goes with the referral
        assert owed(session) == [(PERSON_CHAT, library.referral().nobody_free, ())]


def test_accept_starts_the_handoff_and_a_second_tap_is_refused(
    app_sessions: sessionmaker, library: ContentLibrary
) -> None:
    machine, texts = flow(library), library.referral()
    sam = machine.workers["sam"]
    with app_sessions.begin() as session:
        rid = new_referral(session)
        machine.offer_waiting(session, MONDAY_NOON)
        owed(session)
    with app_sessions.begin() as session:
        assert (
            machine.answer_offer(session, sam, SAM_CHAT, f"{ACCEPT}{rid}", MONDAY_NOON)
            is Answer.ACCEPTED
        )
    with app_sessions.begin() as session:
        assert status(session, rid) == referrals.ACCEPTED
        chats = [chat for chat, _, _ in owed(session)]
        assert chats == [SAM_CHAT, PERSON_CHAT]
    with app_sessions.begin() as session:
        again = machine.answer_offer(session, sam, SAM_CHAT, f"{ACCEPT}{rid}", MONDAY_NOON)
        assert again is Answer.REFUSED
        already = texts.worker_already_in.replace("{id}", str(rid))
        assert owed(session) == [(SAM_CHAT, already, ())]


def test_only_the_offered_worker_may_answer(
    app_sessions: sessionmaker, library: ContentLibrary
) -> None:
    machine = flow(library)
    with app_sessions.begin() as session:
        rid = new_referral(session)
        machine.offer_waiting(session, MONDAY_NOON)
        owed(session)
    with app_sessions.begin() as session:
        jo = machine.workers["jo"]
        assert (
            machine.answer_offer(session, jo, JO_CHAT, f"{ACCEPT}{rid}", MONDAY_NOON)
            is Answer.REFUSED
        )
        assert (
            machine.answer_offer(session, None, 42, f"{ACCEPT}{rid}", MONDAY_NOON) is Answer.REFUSED
        )
        assert (
            machine.answer_offer(session, jo, JO_CHAT, f"{ACCEPT}nonsense", MONDAY_NOON)
            is Answer.REFUSED
        )
        assert status(session, rid) == referrals.OFFERED


def test_decline_passes_it_on_or_tells_the_person_nobody_is_free(
    app_sessions: sessionmaker, library: ContentLibrary
) -> None:
    for jo_on_duty, final in ((True, referrals.OFFERED), (False, referrals.DECLINED)):
        machine = flow(library, jo_on_duty=jo_on_duty)
        with app_sessions.begin() as session:
            rid = new_referral(session)
            machine.offer_waiting(session, MONDAY_NOON)
            owed(session)
        with app_sessions.begin() as session:
            sam = machine.workers["sam"]
            assert (
                machine.answer_offer(session, sam, SAM_CHAT, f"{DECLINE}{rid}", MONDAY_NOON)
                is Answer.DECLINED
            )
            machine.offer_waiting(session, MONDAY_NOON)
        with app_sessions.begin() as session:
            assert status(session, rid) == final
            owed(session)


def test_end_by_the_worker_or_the_person_closes_it_once(
    app_sessions: sessionmaker, library: ContentLibrary
) -> None:
    machine, texts = flow(library), library.referral()
    sam = machine.workers["sam"]
    for by_worker in (True, False):
        with app_sessions.begin() as session:
            rid = new_referral(session)
            machine.offer_waiting(session, MONDAY_NOON)
            machine.answer_offer(session, sam, SAM_CHAT, f"{ACCEPT}{rid}", MONDAY_NOON)
            owed(session)
        with app_sessions.begin() as session:
            if by_worker:
                assert machine.end(session, SAM_CHAT, sam, None, MONDAY_NOON)
            else:
                assert machine.end(session, PERSON_CHAT, None, "tg-person", MONDAY_NOON)
        with app_sessions.begin() as session:
            assert status(session, rid) == referrals.CLOSED
            messages = owed(session)
            assert {chat for chat, _, _ in messages} == {SAM_CHAT, PERSON_CHAT}
            expected = texts.ended_for_worker if by_worker else texts.ended_by_person
            assert any(text == expected.replace("{id}", str(rid)) for _, text, _ in messages)
            assert not machine.end(session, SAM_CHAT, sam, None, MONDAY_NOON)


def test_moves_are_conditional_and_only_allowed_ones_are_made(
    app_sessions: sessionmaker, library: ContentLibrary
) -> None:
    machine = flow(library)
    with app_sessions.begin() as session:
        rid = new_referral(session)
        machine.offer_waiting(session, MONDAY_NOON)
    with app_sessions.begin() as session:
        # Read as offered by an offer pass; the worker's Accept lands first.
        machine.answer_offer(
            session, machine.workers["sam"], SAM_CHAT, f"{ACCEPT}{rid}", MONDAY_NOON
        )
    with app_sessions.begin() as session:
        stale = referrals.change(
            session,
            rid,
            referrals.NEW,
            MONDAY_NOON,
            note="no answer in time",
            expect=referrals.OFFERED,
        )
        assert stale is None and status(session, rid) == referrals.ACCEPTED
        with pytest.raises(referrals.NotAllowed):
            referrals.change(session, rid, referrals.OFFERED, MONDAY_NOON)
    assert all(referrals.ALLOWED[s] == frozenset() for s in referrals.FINISHED)


def test_an_offer_never_delivered_is_not_sent_after_it_expired(
    app_sessions: sessionmaker, library: ContentLibrary
) -> None:
    machine = flow(library)
    with app_sessions.begin() as session:
        new_referral(session)
        machine.offer_waiting(session, MONDAY_NOON)
        offer = outbox.claim_next(session, MONDAY_NOON)
        assert offer is not None
        outbox.failed(session, offer)  # Sam's chat refused it; it waits to be tried again
    with app_sessions.begin() as session:
        machine.offer_waiting(session, MONDAY_NOON + dt.timedelta(minutes=5))
    with app_sessions.begin() as session:
        later = MONDAY_NOON + dt.timedelta(minutes=10)
        chats = []
        while (item := outbox.claim_next(session, later)) is not None:
            chats.append(unseal(KEY, item.message.chat))
            outbox.sent(session, item.id)
        assert SAM_CHAT not in chats  # the stale offer went; Jo's and the person's remain
        assert JO_CHAT in chats and PERSON_CHAT in chats


def test_a_worker_holds_chats_up_to_their_limit_then_offers_go_to_the_next_worker(
    app_sessions: sessionmaker, library: ContentLibrary
) -> None:
    machine = flow(library, sam_max=2)
    sam = machine.workers["sam"]
    with app_sessions.begin() as session:
        first, second, third = (new_referral(session) for _ in range(3))
        machine.offer_waiting(session, MONDAY_NOON)
        offers = owed(session)
        # Two offers fill Sam's two places; the third goes to Jo, who has room.
        assert [chat for chat, _, _ in offers] == [SAM_CHAT, SAM_CHAT, JO_CHAT]
        referral = referrals.get(session, third)
        assert referral is not None and referral.worker_id == "jo"
        assert referrals.history(session, third)[-2][4] == "worker at their limit"
    with app_sessions.begin() as session:
        for rid in (first, second):
            answer = machine.answer_offer(session, sam, SAM_CHAT, f"{ACCEPT}{rid}", MONDAY_NOON)
            assert answer is Answer.ACCEPTED  # two chats at once
        assert [r.id for r in referrals.accepted_by(session, "sam")] == [second, first]


def test_when_everyone_is_full_a_referral_waits_for_its_worker(
    app_sessions: sessionmaker, library: ContentLibrary
) -> None:
    machine = flow(library, sam_max=1, jo_max=1)
    sam = machine.workers["sam"]
    with app_sessions.begin() as session:
        busy_sam, busy_jo = new_referral(session), new_referral(session, "jo")
        machine.offer_waiting(session, MONDAY_NOON)
        waiting = new_referral(session)
        machine.offer_waiting(session, MONDAY_NOON)
        assert status(session, waiting) == referrals.NEW  # nobody has room: not "nobody free"
        assert [chat for chat, _, _ in owed(session)] == [SAM_CHAT, JO_CHAT]
        machine.answer_offer(session, sam, SAM_CHAT, f"{ACCEPT}{busy_sam}", MONDAY_NOON)
        machine.end(session, SAM_CHAT, sam, None, MONDAY_NOON)
        machine.offer_waiting(session, MONDAY_NOON)
        assert status(session, waiting) == referrals.OFFERED  # Sam's place came free
        assert status(session, busy_jo) == referrals.OFFERED


def test_accepting_past_the_limit_is_refused_and_passed_on(
    app_sessions: sessionmaker, library: ContentLibrary
) -> None:
    texts = library.referral()
    with app_sessions.begin() as session:
        first, second = new_referral(session), new_referral(session)
        flow(library, sam_max=2).offer_waiting(session, MONDAY_NOON)  # both offered to Sam
        owed(session)
    machine = flow(library, sam_max=1)  # then the limit is lowered in services.yml
    sam = machine.workers["sam"]
    with app_sessions.begin() as session:
        assert machine.answer_offer(session, sam, SAM_CHAT, f"{ACCEPT}{first}", MONDAY_NOON) is (
            Answer.ACCEPTED
        )
        owed(session)
        refused = machine.answer_offer(session, sam, SAM_CHAT, f"{ACCEPT}{second}", MONDAY_NOON)
        assert refused is Answer.REFUSED
        full = texts.worker_full.replace("{count}", "1").replace("{id}", str(second))
        assert (SAM_CHAT, full, ()) in owed(session)
        referral = referrals.get(session, second)
        assert referral is not None and referral.worker_id == "jo"  # passed on


def test_an_unanswered_offer_is_reminded_once_then_moves_on(
    app_sessions: sessionmaker, library: ContentLibrary
) -> None:
    machine = flow(library, remind=dt.timedelta(minutes=2))  # the timeout is 5 minutes
    reminder = library.referral().worker_reminder
    with app_sessions.begin() as session:
        rid = new_referral(session)
        machine.offer_waiting(session, MONDAY_NOON)
        owed(session)
    at = MONDAY_NOON + dt.timedelta(minutes=1, seconds=59)
    with app_sessions.begin() as session:
        assert machine.offer_waiting(session, at) == 0 and owed(session) == []
    with app_sessions.begin() as session:
        assert machine.offer_waiting(session, MONDAY_NOON + dt.timedelta(minutes=2)) == 1
        [(chat, text, buttons)] = owed(session)
        assert chat == SAM_CHAT and text.startswith(reminder.replace("{id}", str(rid)))
        assert "coming off blues" in text  # the offer again, with its buttons
        assert [data for _, data in buttons] == [f"{ACCEPT}{rid}", f"{DECLINE}{rid}"]
    with app_sessions.begin() as session:  # once only
        assert machine.offer_waiting(session, MONDAY_NOON + dt.timedelta(minutes=4)) == 0
        assert owed(session) == []
    with app_sessions.begin() as session:  # then it moves on, to one worker only
        machine.offer_waiting(session, MONDAY_NOON + dt.timedelta(minutes=5))
        referral = referrals.get(session, rid)
        assert referral is not None and referral.worker_id == "jo" and referral.reminded_at is None
        owed(session)
    with app_sessions.begin() as session:  # Jo's offer gets its own one reminder
        machine.offer_waiting(session, MONDAY_NOON + dt.timedelta(minutes=7))
        assert [chat for chat, _, _ in owed(session)] == [JO_CHAT]


def test_the_end_asks_the_person_did_that_help_and_keeps_one_button_answer(
    app_sessions: sessionmaker, library: ContentLibrary
) -> None:
    machine, texts = flow(library), library.referral()
    sam = machine.workers["sam"]
    with app_sessions.begin() as session:
        first, second = new_referral(session), new_referral(session)
        machine.offer_waiting(session, MONDAY_NOON)
        for rid in (first, second):
            machine.answer_offer(session, sam, SAM_CHAT, f"{ACCEPT}{rid}", MONDAY_NOON)
        owed(session)
    later = MONDAY_NOON + dt.timedelta(minutes=1)
    with app_sessions.begin() as session:
        assert not referrals.record_feedback(session, second, "tg-person", "helped")  # still open
        assert machine.end(session, SAM_CHAT, sam, None, later)  # Sam's current: the second
        messages = owed(session)
        assert status(session, second) == referrals.CLOSED
        assert status(session, first) == referrals.ACCEPTED
        question = [m for m in messages if m[1] == texts.feedback_question]
        assert question == [
            (
                PERSON_CHAT,
                texts.feedback_question,
                (
                    (texts.feedback_helped, f"fb:{second}:helped"),
                    (texts.feedback_some, f"fb:{second}:some"),
                    (texts.feedback_no, f"fb:{second}:no"),
                ),
            )
        ]
        now_on = texts.worker_focus_now.replace("{id}", str(first))
        assert (SAM_CHAT, now_on, ()) in messages
    with app_sessions.begin() as session:
        assert not referrals.record_feedback(session, second, "someone-else", "helped")
        assert not referrals.record_feedback(session, second, "tg-person", "typed words")
        assert referrals.record_feedback(session, second, "tg-person", "some")
        assert not referrals.record_feedback(session, second, "tg-person", "helped")  # once
        referral = referrals.get(session, second)
        assert referral is not None and referral.feedback == "some"
    with app_sessions.begin() as session:  # End chat on a chat that is not the current one
        assert machine.end(session, SAM_CHAT, sam, None, later, referral_id=first)
        assert not any(text == now_on for _, text, _ in owed(session))


def test_when_the_person_ends_the_current_chat_the_worker_hears_where_messages_go(
    app_sessions: sessionmaker, library: ContentLibrary
) -> None:
    machine, texts = flow(library), library.referral()
    sam = machine.workers["sam"]
    with app_sessions.begin() as session:
        first = new_referral(session)
        second = new_referral(session, person="tg-other", chat=PERSON_CHAT + 1, help_text=None)
        machine.offer_waiting(session, MONDAY_NOON)
        machine.answer_offer(session, sam, SAM_CHAT, f"{ACCEPT}{first}", MONDAY_NOON)
        later = MONDAY_NOON + dt.timedelta(minutes=1)
        machine.answer_offer(session, sam, SAM_CHAT, f"{ACCEPT}{second}", later)
        owed(session)
    with app_sessions.begin() as session:  # the person in Sam's current chat leaves
        assert machine.end(session, PERSON_CHAT + 1, None, "tg-other", later)
        messages = owed(session)
        now_on = texts.worker_focus_now.replace("{id}", str(first))
        assert (SAM_CHAT, now_on, ()) in messages
    with app_sessions.begin() as session:  # /forget: only the worker is told
        assert machine.end(session, PERSON_CHAT, None, "tg-person", later, forgotten=True)
        messages = owed(session)
        ended = texts.ended_by_person.replace("{id}", str(first))
        assert messages == [(SAM_CHAT, ended, ())]


def test_a_person_waiting_for_a_full_worker_hears_once_that_everyone_is_busy(
    app_sessions: sessionmaker, library: ContentLibrary
) -> None:
    machine = flow(library, sam_max=1, jo_max=1)
    texts = library.referral()
    with app_sessions.begin() as session:
        busy = {"sam": new_referral(session), "jo": new_referral(session, "jo")}
        machine.offer_waiting(session, MONDAY_NOON)
        for name, rid in busy.items():  # both workers in a chat: full
            chat = SAM_CHAT if name == "sam" else JO_CHAT
            machine.answer_offer(
                session, machine.workers[name], chat, f"{ACCEPT}{rid}", MONDAY_NOON
            )
        waiting = new_referral(session)
        owed(session)
    for minutes, told in ((4, []), (5, [(PERSON_CHAT, texts.all_busy, ())]), (30, [])):
        with app_sessions.begin() as session:
            machine.offer_waiting(session, MONDAY_NOON + dt.timedelta(minutes=minutes))
            assert owed(session) == told
            assert status(session, waiting) == referrals.NEW  # still waiting


def test_todays_requests_are_offered_before_this_weeks(
    app_sessions: sessionmaker, library: ContentLibrary
) -> None:
    machine = flow(library, sam_max=1, jo_on_duty=False)
    with app_sessions.begin() as session:
        later = new_referral(session)
        referrals.get(session, later)
        session.execute(
            referrals.referrals.update()
            .where(referrals.referrals.c.id == later)
            .values(urgency="this_week")
        )
        today = new_referral(session)
        machine.offer_waiting(session, MONDAY_NOON)
        assert status(session, today) == referrals.OFFERED
        assert status(session, later) == referrals.NEW
