"""Every custom action, run for real against a content folder under tmp_path."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from rasa_sdk import Tracker
from rasa_sdk.executor import ActionExecutor, CollectingDispatcher
from sqlalchemy.orm import sessionmaker

from actions.advice import ActionAnswerTopic
from actions.common import CONTENT_UNAVAILABLE, ContentAction
from actions.couse import ActionAnswerCouse
from actions.menu import ActionFallbackMenu, ActionShowMenu
from actions.safety import ActionCrisisSupport, ActionEmergency
from actions.services import ActionListServices
from blether.content import ContentLibrary
from blether.db import make_engine, make_sessionmaker, upgrade
from blether.tables import served_answers

DOMAIN_ACTIONS = {
    "action_answer_topic",
    "action_answer_couse",
    "action_emergency",
    "action_crisis_support",
    "action_answer_instead",
    "action_list_services",
    "action_show_menu",
    "action_fallback_menu",
    "validate_referral_form",
    "action_ask_referral_consent",
    "action_ask_referral_area",
    "action_ask_referral_help",
    "action_ask_referral_urgency",
    "action_submit_referral",
}


@pytest.fixture
def sessions(tmp_path: Path) -> sessionmaker:
    url = f"sqlite:///{tmp_path}/app.db"
    upgrade(url)
    return make_sessionmaker(make_engine(url))


def tracker(intent: str, text: str = "", entities: list[dict[str, Any]] | None = None) -> Tracker:
    latest = {
        "intent": {"name": intent, "confidence": 0.9},
        "entities": entities or [],
        "text": text,
    }
    return Tracker("someone", {}, latest, [], False, None, {}, "action_listen")


def run(action: ContentAction, t: Tracker) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, t, {}))
    return dispatcher.messages, events


def test_every_action_in_the_domain_is_registered_by_the_sdk() -> None:
    executor = ActionExecutor()
    executor.register_package("actions")
    assert set(executor.actions) >= DOMAIN_ACTIONS


def test_topic_answer_and_provenance_slot(library: ContentLibrary, sessions: sessionmaker) -> None:
    messages, events = run(ActionAnswerTopic(library, sessions), tracker("withdrawal"))
    assert messages[0]["text"] == library.topic("withdrawal").meta.summary
    assert [b["payload"] for b in messages[-1]["buttons"]][0] == "/reduce_stop"
    assert events[0]["name"] == "answered_from"
    assert events[0]["value"] == f"topics/withdrawal.md@{library.topic('withdrawal').version}"


def test_couse_answer_uses_the_entities(library: ContentLibrary, sessions: sessionmaker) -> None:
    entities = [
        {
            "entity": "substance",
            "value": "street benzos",
            "start": 0,
            "end": 5,
            "additional_info": {"said": "blues", "class": "benzodiazepine", "fuzzy": False},
        },
        {
            "entity": "substance",
            "value": "methadone",
            "start": 10,
            "end": 19,
            "additional_info": {"said": "methadone", "class": "opioid", "fuzzy": False},
        },
        {"entity": "substance", "value": "no such drug", "start": 0, "end": 1},
    ]
    messages, _ = run(
        ActionAnswerCouse(library, sessions),
        tracker("couse_opioids", "blues and methadone", entities),
    )
    assert messages[1]["text"].startswith("Dangerous mix: blues (street benzos) + methadone.")


def test_emergency_card_comes_first_and_whole(
    library: ContentLibrary, sessions: sessionmaker
) -> None:
    messages, _ = run(ActionEmergency(library, sessions), tracker("emergency_overdose"))
    assert messages[0]["text"].startswith("Call 999 now")
    assert "recovery position" in messages[0]["text"]


def test_crisis_support_offers_a_worker(library: ContentLibrary, sessions: sessionmaker) -> None:
    messages, _ = run(ActionCrisisSupport(library, sessions), tracker("crisis_self_harm"))
    assert "116 123" in messages[0]["text"]
    assert messages[0]["buttons"][0]["payload"] == "/request_human"


def test_services_are_listed_with_the_national_numbers(
    library: ContentLibrary, sessions: sessionmaker
) -> None:
    messages, events = run(ActionListServices(library, sessions), tracker("find_service"))
    assert messages[0]["text"] == library.topic("find_service").meta.summary
    assert any("116 123" in m["text"] for m in messages)
    assert "services.yml@" in events[0]["value"]


def test_fallback_says_so_and_shows_the_menu(
    library: ContentLibrary, sessions: sessionmaker
) -> None:
    messages, _ = run(ActionFallbackMenu(library, sessions), tracker("nlu_fallback"))
    assert messages[0]["text"] == library.menu().fallback
    assert len(messages[1]["buttons"]) == len(library.menu().topics)
    shown, _ = run(ActionShowMenu(library, sessions), tracker("greet"))
    assert shown[0]["text"] == library.menu().prompt


def test_an_unexpected_intent_gets_the_menu_not_a_crash(
    library: ContentLibrary, sessions: sessionmaker
) -> None:
    messages, _ = run(ActionAnswerTopic(library, sessions), tracker("greet"))
    assert messages[-1]["text"] == library.menu().prompt


def test_content_that_never_loaded_still_gives_the_numbers(
    tmp_path: Path, sessions: sessionmaker
) -> None:
    messages, events = run(
        ActionEmergency(ContentLibrary(tmp_path), sessions), tracker("emergency_overdose")
    )
    assert messages == [{**messages[0], "text": CONTENT_UNAVAILABLE}]
    assert "999" in messages[0]["text"] and "116 123" in messages[0]["text"]
    assert events[0]["value"] is None


def test_each_answer_records_topic_and_version_but_not_the_person(
    library: ContentLibrary, sessions: sessionmaker
) -> None:
    run(ActionAnswerTopic(library, sessions), tracker("withdrawal", "im rattling off blues"))
    run(ActionAnswerTopic(library, sessions), tracker("withdrawal", "rattling again"))
    run(ActionShowMenu(library, sessions), tracker("greet"))
    with sessions.begin() as session:
        rows = session.execute(sa.select(served_answers)).all()
    assert [(r.topic, r.version, r.count) for r in rows] == [
        ("withdrawal", f"topics/withdrawal.md@{library.topic('withdrawal').version}", 2)
    ]
    assert "rattling" not in str(rows) and "someone" not in str(rows)


def test_a_database_that_is_down_does_not_stop_the_answer(library: ContentLibrary) -> None:
    dead = make_sessionmaker(make_engine("postgresql://nobody@127.0.0.1:9/none"))
    messages, _ = run(ActionEmergency(library, dead), tracker("emergency_overdose"))
    assert messages[0]["text"].startswith("Call 999 now")
