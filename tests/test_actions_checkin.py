"""The check-in set-up actions, run for real against a content folder and an app database."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import sessionmaker

from actions.checkin import (
    ActionAskCheckinMinutes,
    ActionAskCheckinNotify,
    ActionSubmitCheckin,
    ActionUsingAlone,
    ValidateCheckinForm,
)
from blether import contacts
from blether.checkin_setup import CHECKIN_PAYLOAD, parse_minutes, parse_notify, wants_checkin
from blether.content import ContentLibrary
from blether.db import make_engine, make_sessionmaker, upgrade
from blether.sealing import seal

PERSON = "person-pseudonym"
NOW = dt.datetime(2026, 11, 23, 21, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def sessions(tmp_path: Path) -> sessionmaker:
    url = f"sqlite:///{tmp_path}/app.db"
    upgrade(url)
    return make_sessionmaker(make_engine(url))


def tracker(
    slots: dict[str, Any], text: str = "", entities: list[dict[str, Any]] | None = None
) -> Tracker:
    latest = {"intent": {"name": "using_alone"}, "entities": entities or [], "text": text}
    return Tracker(
        PERSON, slots, latest, [], False, None, {"name": "checkin_form"}, "action_listen"
    )


def run(action: Any, slots: dict[str, Any] | None = None, text: str = "", **kw: Any) -> tuple:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker(slots or {}, text, **kw), {}))
    return dispatcher.messages, events


def test_using_alone_answers_with_a_check_on_me_button(
    library: ContentLibrary, sessions: sessionmaker
) -> None:
    messages, events = run(ActionUsingAlone(library, sessions), text="is it bad to use alone")
    assert messages[0]["text"].startswith("Using alone is one of the biggest risks")
    assert messages[-1]["buttons"][0] == {"title": "Check on me", "payload": CHECKIN_PAYLOAD}
    assert events[-1] == {
        "event": "slot",
        "timestamp": None,
        "name": "checkin_wanted",
        "value": False,
    }


@pytest.mark.parametrize(
    "text, entities",
    [
        ("check on me in 15 minutes", []),
        ("/using_alone", [{"entity": "checkin", "value": "start"}]),
    ],
)
def test_a_check_in_asked_for_starts_the_set_up(
    library: ContentLibrary, sessions: sessionmaker, text: str, entities: list
) -> None:
    messages, events = run(ActionUsingAlone(library, sessions), text=text, entities=entities)
    assert messages == []
    assert events == [{"event": "slot", "timestamp": None, "name": "checkin_wanted", "value": True}]


def test_questions_are_honest_and_offer_buttons(
    library: ContentLibrary, sessions: sessionmaker
) -> None:
    [minutes], _ = run(ActionAskCheckinMinutes(library, sessions))
    assert "I can't send anyone, call an ambulance or see you" in minutes["text"]
    assert [b["payload"] for b in minutes["buttons"]] == ["10", "20", "30"]
    [notify], _ = run(ActionAskCheckinNotify(library, sessions))
    assert [b["payload"] for b in notify["buttons"]] == ["worker"]  # no contact yet
    with sessions.begin() as session:
        code = contacts.invite(session, PERSON, seal(b"k", 1), "Sam", NOW)
        opened = contacts.open_invite(session, code, "contact", NOW)
        assert opened and contacts.accept(session, opened.id, "contact", seal(b"k", 2), NOW)
    [notify], _ = run(ActionAskCheckinNotify(library, sessions))
    assert [b["payload"] for b in notify["buttons"]] == ["contact", "worker"]


def test_validation_reads_times_and_stops(library: ContentLibrary, sessions: sessionmaker) -> None:
    form = ValidateCheckinForm(library, sessions)
    dispatcher = CollectingDispatcher()
    t = tracker({})
    assert form.validate_checkin_minutes("half an hour", dispatcher, t, {}) == {
        "checkin_minutes": "30"
    }
    assert form.validate_checkin_minutes("soon", dispatcher, t, {}) == {"checkin_minutes": None}
    assert dispatcher.messages[-1]["text"].startswith("Sorry, I didn't get that.")
    assert form.validate_checkin_minutes("stop", dispatcher, t, {}) == {
        "checkin_minutes": "stopped",
        "checkin_notify": "stopped",
    }
    # No trusted contact yet: asked again, with the worker offered.
    assert form.validate_checkin_notify("contact", dispatcher, t, {}) == {"checkin_notify": None}
    assert dispatcher.messages[-1]["buttons"] == [{"title": "Worker on duty", "payload": "worker"}]
    assert form.validate_checkin_notify("worker", dispatcher, t, {}) == {"checkin_notify": "worker"}


def test_the_time_can_come_with_the_request(
    library: ContentLibrary, sessions: sessionmaker
) -> None:
    form = ValidateCheckinForm(library, sessions)
    found = asyncio.run(
        form.extract_checkin_minutes(
            CollectingDispatcher(), tracker({}, "check on me in 15 mins"), {}
        )
    )
    assert found == {"checkin_minutes": "15"}
    asked = tracker({"requested_slot": "checkin_notify", "checkin_minutes": "15"}, "20")
    assert asyncio.run(form.extract_checkin_minutes(CollectingDispatcher(), asked, {})) == {}


def test_submit_asks_the_bridge_or_says_nothing_was_set(
    library: ContentLibrary, sessions: sessionmaker
) -> None:
    messages, events = run(
        ActionSubmitCheckin(library, sessions),
        {"checkin_minutes": "20", "checkin_notify": "worker"},
    )
    assert messages[0]["custom"] == {"blether": {"checkin": {"minutes": 20, "notify": "worker"}}}
    assert {e["name"] for e in events} == {"checkin_minutes", "checkin_notify", "checkin_wanted"}
    messages, _ = run(
        ActionSubmitCheckin(library, sessions),
        {"checkin_minutes": "stopped", "checkin_notify": "stopped"},
    )
    assert messages[0]["text"] == "OK, no check-in is set."


@pytest.mark.parametrize(
    "text, minutes",
    [
        ("15", 15),
        ("20 mins", 20),
        ("half an hour", 30),
        ("in 2 hours", 120),
        ("ten", 10),
        ("an hour and a half", 90),
        ("3", None),
        ("500", None),
        ("whenever", None),
    ],
)
def test_minutes(text: str, minutes: int | None) -> None:
    assert parse_minutes(text) == minutes


def test_notify_and_asking_in_words() -> None:
    assert parse_notify("contact") == "contact" and parse_notify("my pal") == "contact"
    assert parse_notify("Worker on duty") == "worker" and parse_notify("eh?") is None
    assert wants_checkin("can u check in on me in 20") and wants_checkin("Check on me!")
    assert not wants_checkin("is it bad to use on my own") and not wants_checkin("check on my pal")


def test_ok_and_help_words(library: ContentLibrary) -> None:
    from blether.bridge.checkin import says_ok_only
    from blether.text import comparable

    texts = library.checkin()
    for ok in ("OK", "Aye, I'm fine!", "still here x", "I’m OK"):
        assert says_ok_only(ok, texts.ok_words), ok
    for not_ok in ("not ok", "am no ok", "feel weird", "naw"):
        assert not says_ok_only(not_ok, texts.ok_words), not_ok
    # Help is whole phrases only: "ok" must never read as "not ok".
    assert comparable("Help me!") in texts.help_words
    assert comparable("ok") not in texts.help_words
    assert comparable("im ok") not in texts.help_words
