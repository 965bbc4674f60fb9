"""The danger check in the actions: check, Yes, No, typed yes / no, rule match, payload."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import sessionmaker

from actions.common import ContentAction
from actions.safety import (
    CHECK_SLOT,
    INSTEAD_SLOT,
    ActionAnswerInstead,
    ActionCrisisSupport,
    ActionEmergency,
)
from blether.content import ContentLibrary
from blether.db import make_engine, make_sessionmaker, upgrade

BELOW = 0.9
BLUES_AND_METHADONE = [
    {
        "entity": "substance",
        "value": "street benzos",
        "start": 38,
        "end": 43,
        "additional_info": {"said": "blues", "class": "benzodiazepine", "fuzzy": False},
    },
    {
        "entity": "substance",
        "value": "methadone",
        "start": 24,
        "end": 33,
        "additional_info": {"said": "methadone", "class": "opioid", "fuzzy": False},
    },
]


def message(
    intent: str,
    confidence: float,
    ranking: list[tuple[str, float]] | None = None,
    text: str = "he's gone all floppy after methadone and blues",
    entities: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "intent_ranking": [
            {"name": n, "confidence": c} for n, c in (ranking or [(intent, confidence)])
        ],
        "entities": entities or [],
        **extra,
    }


def tracker(
    latest: dict[str, Any], slots: dict[str, Any] | None = None, loop: str | None = None
) -> Tracker:
    active_loop = {"name": loop} if loop else {}
    return Tracker("someone", slots or {}, latest, [], False, None, active_loop, "action_listen")


def run(action: ContentAction, t: Tracker) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The messages sent, and the slots as the returned events leave them."""
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, t, {}))
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    followups = [e["name"] for e in events if e["event"] == "followup"]
    if followups:
        slots["followup"] = followups
    return dispatcher.messages, slots


UNSURE_OVERDOSE = message(
    "emergency_overdose",
    0.75,
    [("emergency_overdose", 0.75), ("couse_opioids", 0.07), ("couse_stimulants", 0.03)],
    entities=BLUES_AND_METHADONE,
)
UNSURE_CRISIS = message(
    "crisis_self_harm",
    0.6,
    [("crisis_self_harm", 0.6), ("mental_health", 0.3)],
    text="i cant be doing with any of it",
)


@pytest.fixture
def sessions(tmp_path: Path) -> sessionmaker:
    url = f"sqlite:///{tmp_path}/app.db"
    upgrade(url)
    return make_sessionmaker(make_engine(url))


@pytest.fixture
def emergency(library: ContentLibrary, sessions: sessionmaker) -> ActionEmergency:
    return ActionEmergency(library, sessions, check_below=BELOW)


@pytest.fixture
def crisis(library: ContentLibrary, sessions: sessionmaker) -> ActionCrisisSupport:
    return ActionCrisisSupport(library, sessions, check_below=BELOW)


@pytest.fixture
def instead(library: ContentLibrary, sessions: sessionmaker) -> ActionAnswerInstead:
    return ActionAnswerInstead(library, sessions)


def assert_emergency_card(messages: list[dict[str, Any]]) -> None:
    assert messages[0]["text"].startswith("Call 999 now")
    assert "recovery position" in messages[0]["text"]


def test_an_unsure_classifier_guess_gets_the_check_not_the_card(
    emergency: ActionEmergency, library: ContentLibrary
) -> None:
    messages, slots = run(emergency, tracker(UNSURE_OVERDOSE))
    texts = library.bridge()
    assert [m["text"] for m in messages] == [texts.danger_check]
    assert "999" in messages[0]["text"]
    assert [(b["title"], b["payload"]) for b in messages[0]["buttons"]] == [
        (texts.danger_check_yes, "/emergency_overdose"),
        (texts.danger_check_no, "/deny"),
    ]
    assert slots[CHECK_SLOT] == "emergency_overdose"
    assert slots[INSTEAD_SLOT] == {"topic": "couse_opioids", "entities": BLUES_AND_METHADONE}
    assert slots["answered_from"].startswith("bridge.yml@")


def test_the_crisis_check_names_its_own_topic(crisis: ActionCrisisSupport) -> None:
    messages, slots = run(crisis, tracker(UNSURE_CRISIS))
    assert messages[0]["buttons"][0]["payload"] == "/crisis_self_harm"
    assert slots[CHECK_SLOT] == "crisis_self_harm"
    assert slots[INSTEAD_SLOT]["topic"] == "mental_health"


def test_a_rule_match_gives_the_full_card_at_once(emergency: ActionEmergency) -> None:
    forced = message(
        "emergency_overdose",
        1.0,
        text="she is not breathing",
        safety_net={"topic": "emergency_overdose", "pattern": "not breathing"},
    )
    emergency._check_below = 1.01  # every classifier-only guess would be unsure
    messages, slots = run(emergency, tracker(forced))
    assert_emergency_card(messages)
    assert slots[CHECK_SLOT] is None and slots[INSTEAD_SLOT] is None


def test_a_confident_classifier_gives_the_full_card(emergency: ActionEmergency) -> None:
    messages, _ = run(emergency, tracker(message("emergency_overdose", 0.97)))
    assert_emergency_card(messages)


@pytest.mark.parametrize("below", [0.9, 1.01])
def test_the_yes_button_payload_gives_the_full_card(
    library: ContentLibrary,
    sessions: sessionmaker,
    below: float,
) -> None:
    tap = message("emergency_overdose", 1.0, text="/emergency_overdose")
    pending = {CHECK_SLOT: "emergency_overdose", INSTEAD_SLOT: {"topic": "couse_opioids"}}
    messages, slots = run(
        ActionEmergency(library, sessions, check_below=below), tracker(tap, pending)
    )
    assert_emergency_card(messages)
    assert slots[CHECK_SLOT] is None
    tap = message("crisis_self_harm", 1.0, text="/crisis_self_harm")
    messages, _ = run(ActionCrisisSupport(library, sessions, check_below=below), tracker(tap))
    assert "116 123" in messages[0]["text"]
    assert messages[0]["buttons"][0]["payload"] == "/request_human"


@pytest.mark.parametrize("said", ["yes", "aye"])
def test_typed_yes_after_the_check_gives_the_full_card(
    emergency: ActionEmergency, crisis: ActionCrisisSupport, said: str
) -> None:
    yes = message("affirm", 0.98, text=said)
    messages, slots = run(emergency, tracker(yes, {CHECK_SLOT: "emergency_overdose"}))
    assert_emergency_card(messages)
    assert slots[CHECK_SLOT] is None
    messages, slots = run(crisis, tracker(yes, {CHECK_SLOT: "crisis_self_harm"}))
    assert "116 123" in messages[0]["text"]
    assert slots[CHECK_SLOT] is None


@pytest.mark.parametrize("said", ["/deny", "no", "naw"])
def test_no_answers_what_was_asked_with_the_substances_named(
    emergency: ActionEmergency, instead: ActionAnswerInstead, library: ContentLibrary, said: str
) -> None:
    _, pending = run(emergency, tracker(UNSURE_OVERDOSE))
    messages, slots = run(instead, tracker(message("deny", 1.0, text=said), pending))
    assert messages[0]["text"] == library.topic("couse_opioids").meta.summary
    assert "blues" in messages[1]["text"] and "methadone" in messages[1]["text"]
    assert not any(m["text"].startswith("Call 999 now") for m in messages)
    assert slots[CHECK_SLOT] is None and slots[INSTEAD_SLOT] is None
    assert slots["answered_from"].startswith("topics/couse_opioids.md@")


def test_no_to_a_crisis_check_answers_the_advice_topic(
    crisis: ActionCrisisSupport, instead: ActionAnswerInstead, library: ContentLibrary
) -> None:
    _, pending = run(crisis, tracker(UNSURE_CRISIS))
    messages, _ = run(instead, tracker(message("deny", 0.99, text="naw"), pending))
    assert messages[0]["text"] == library.topic("mental_health").meta.summary


def test_no_with_services_as_the_second_guess_lists_them(
    emergency: ActionEmergency, instead: ActionAnswerInstead
) -> None:
    unsure = message(
        "emergency_overdose", 0.5, [("emergency_overdose", 0.5), ("find_service", 0.4)]
    )
    _, pending = run(emergency, tracker(unsure))
    messages, _ = run(instead, tracker(message("deny", 1.0, text="no"), pending))
    assert any("116 123" in m["text"] for m in messages)


def test_no_with_a_person_as_the_second_guess_starts_the_referral(
    crisis: ActionCrisisSupport, instead: ActionAnswerInstead
) -> None:
    unsure = message("crisis_self_harm", 0.5, [("crisis_self_harm", 0.5), ("request_human", 0.4)])
    _, pending = run(crisis, tracker(unsure))
    messages, slots = run(instead, tracker(message("deny", 1.0, text="no"), pending))
    assert messages == []
    assert slots["followup"] == ["referral_form"]
    assert slots[CHECK_SLOT] is None


def test_no_without_a_usable_guess_gets_a_kind_line_and_the_menu(
    emergency: ActionEmergency, instead: ActionAnswerInstead, library: ContentLibrary
) -> None:
    unsure = message("emergency_overdose", 0.8, [("emergency_overdose", 0.8), ("greet", 0.15)])
    _, pending = run(emergency, tracker(unsure))
    assert pending[INSTEAD_SLOT] == {"topic": None, "entities": []}
    messages, slots = run(instead, tracker(message("deny", 1.0, text="naw"), pending))
    assert messages[0]["text"] == library.bridge().danger_check_no_guess
    assert len(messages[1]["buttons"]) == len(library.menu().topics)
    assert slots[CHECK_SLOT] is None
    # and the same with nothing kept at all
    messages, _ = run(instead, tracker(message("deny", 1.0, text="naw")))
    assert messages[0]["text"] == library.bridge().danger_check_no_guess


def test_in_the_middle_of_the_referral_the_card_comes_at_once(emergency: ActionEmergency) -> None:
    messages, slots = run(emergency, tracker(UNSURE_OVERDOSE, loop="referral_form"))
    assert_emergency_card(messages)
    assert slots[CHECK_SLOT] is None


def test_if_the_check_cannot_be_read_the_card_is_given(
    emergency: ActionEmergency, content_dir: Path
) -> None:
    (content_dir / "bridge.yml").write_text("welcome: [")
    messages, slots = run(emergency, tracker(UNSURE_OVERDOSE))
    assert_emergency_card(messages)
    assert slots[CHECK_SLOT] is None


def test_the_threshold_comes_from_the_environment(
    library: ContentLibrary,
    sessions: sessionmaker,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sure = message("emergency_overdose", 0.95)
    monkeypatch.setenv("BLETHER_SAFETY_CHECK_BELOW", "0.99")
    messages, _ = run(ActionEmergency(library, sessions), tracker(sure))
    assert messages[0]["text"] == library.bridge().danger_check
    monkeypatch.delenv("BLETHER_SAFETY_CHECK_BELOW")
    messages, _ = run(ActionEmergency(library, sessions), tracker(sure))
    assert_emergency_card(messages)
    monkeypatch.setenv("BLETHER_SAFETY_CHECK_BELOW", "very high")  # a bad setting: the default
    messages, _ = run(ActionEmergency(library, sessions), tracker(sure))
    assert_emergency_card(messages)
    messages, _ = run(ActionEmergency(library, sessions), tracker(UNSURE_OVERDOSE))
    assert messages[0]["text"] == library.bridge().danger_check
