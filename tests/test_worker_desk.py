"""A worker's several chats on their own: routing, /list, /switch and saved replies."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import sessionmaker

from blether import referrals, worker_desk
from blether.content import ContentLibrary
from tests.test_handoff_flow import ACCEPT, MONDAY_NOON, SAM_CHAT, flow, new_referral, owed


def two_chats(app_sessions: sessionmaker, library: ContentLibrary) -> tuple[int, int]:
    """Sam accepts two referrals, the second a minute after the first."""
    machine = flow(library)
    sam = machine.workers["sam"]
    with app_sessions.begin() as session:
        first, second = new_referral(session), new_referral(session)
        machine.offer_waiting(session, MONDAY_NOON)
        machine.answer_offer(session, sam, SAM_CHAT, f"{ACCEPT}{first}", MONDAY_NOON)
        later = MONDAY_NOON + dt.timedelta(minutes=1)
        machine.answer_offer(session, sam, SAM_CHAT, f"{ACCEPT}{second}", later)
        owed(session)
    return first, second


def test_a_message_goes_to_the_replied_chat_else_the_current_one(
    app_sessions: sessionmaker, library: ContentLibrary
) -> None:
    first, second = two_chats(app_sessions, library)
    with app_sessions.begin() as session:
        route = worker_desk.chat_for_message
        assert route(session, "sam", None).to.id == second  # type: ignore[union-attr]
        assert route(session, "sam", f"Referral #{first}: you there?").to.id == first  # type: ignore[union-attr]
        # A reply to a chat that is not open (ended, or someone else's) goes nowhere.
        assert route(session, "sam", "Referral #99999: hi") == worker_desk.Route(None, 99999)
        assert route(session, "jo", f"Referral #{first}: hi") == worker_desk.Route(None, first)
        assert route(session, "jo", None) == worker_desk.Route(None)


def test_switch_moves_the_current_chat_and_list_marks_it(
    app_sessions: sessionmaker, library: ContentLibrary
) -> None:
    texts = library.referral()
    first, second = two_chats(app_sessions, library)
    at = MONDAY_NOON + dt.timedelta(minutes=2)
    with app_sessions.begin() as session:
        listing = worker_desk.chat_list(session, texts, "sam").splitlines()
        assert listing[0] == texts.worker_list_header
        # In the order taken, each since it was accepted (Europe/London), the current marked.
        assert listing[1] == f"#{first}: Glasgow, asked to talk to someone, since 12:00"
        assert listing[2] == (
            f"#{second}: Glasgow, asked to talk to someone, since 12:01 "
            + texts.worker_list_current
        )
        said = worker_desk.switch(session, texts, "sam", f"#{first}", at)
        assert said == texts.worker_switched.replace("{id}", str(first))
    with app_sessions.begin() as session:
        assert worker_desk.chat_for_message(session, "sam", None).to.id == first  # type: ignore[union-attr]
        assert worker_desk.switch(session, texts, "sam", "soon", at) == texts.worker_switch_how
        missing = worker_desk.switch(session, texts, "jo", str(first), at)  # not Jo's
        assert missing == texts.worker_no_such_chat.replace("{id}", str(first))
        assert worker_desk.chat_list(session, texts, "jo") == texts.no_open_chat
        listing = worker_desk.chat_list(session, texts, "sam").splitlines()
        assert listing[1].endswith(texts.worker_list_current)  # the switch moved the mark
        assert listing[1].endswith("since 12:00 " + texts.worker_list_current)  # not reset


def test_the_first_reply_is_timed_once(app_sessions: sessionmaker, library: ContentLibrary) -> None:
    first, _ = two_chats(app_sessions, library)
    for minutes in (3, 9):
        with app_sessions.begin() as session:
            referral = referrals.get(session, first)
            assert referral is not None
            worker_desk.first_reply(session, referral, MONDAY_NOON + dt.timedelta(minutes=minutes))
    with app_sessions.begin() as session:
        referral = referrals.get(session, first)
        assert referral is not None
        assert referral.first_reply_at == MONDAY_NOON + dt.timedelta(minutes=3)


def test_saved_replies_fill_in_the_workers_name_and_list_when_unknown(
    library: ContentLibrary,
) -> None:
    texts, replies = library.referral(), library.worker_replies()
    sam = flow(library).workers["sam"]
    hello = worker_desk.saved_reply(texts, replies, sam, "HELLO ")
    assert hello.text is not None and hello.text.startswith("Hi, I'm Sam.")
    listing = worker_desk.saved_reply(texts, replies, sam, "")
    assert listing.text is None and listing.note.startswith(texts.canned_list_header)
    assert all(f"/r {r.name}: " in listing.note for r in replies.replies)
    unknown = worker_desk.saved_reply(texts, replies, sam, "nope")
    assert unknown.text is None
    assert unknown.note.startswith(texts.canned_unknown.replace("{name}", "nope"))
