"""The danger check: when only the classifier is unsure of a safety topic, ask before the card."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from blether.content import ContentLibrary
from blether.mentions import Mention
from blether.safety_check import (
    DEFAULT_CHECK_BELOW,
    Check,
    check_answer,
    check_for,
    instead_answer,
    instead_topic,
    no_guess_answer,
    second_guess,
)
from blether.settings import Settings
from tests.conftest import rewrite


def parse(
    intent: str,
    confidence: float,
    ranking: list[tuple[str, float]] | None = None,
    text: str = "he's gone all floppy after methadone and blues",
    **extra: Any,
) -> dict[str, Any]:
    entries = ranking if ranking is not None else [(intent, confidence)]
    return {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "intent_ranking": [{"name": n, "confidence": c} for n, c in entries],
        "entities": [{"entity": "substance", "value": "methadone", "start": 29, "end": 38}],
        **extra,
    }


UNSURE = parse(
    "emergency_overdose",
    0.75,
    [("emergency_overdose", 0.75), ("couse_opioids", 0.07), ("couse_stimulants", 0.03)],
)


def test_an_unsure_classifier_only_safety_guess_is_a_check() -> None:
    check = check_for(UNSURE, 0.9)
    assert check == Check("emergency_overdose", "couse_opioids", UNSURE["entities"])
    crisis = parse("crisis_self_harm", 0.6, [("crisis_self_harm", 0.6), ("mental_health", 0.3)])
    assert check_for(crisis, 0.9) == Check("crisis_self_harm", "mental_health", crisis["entities"])


def test_a_confident_guess_gets_the_card_at_once() -> None:
    assert check_for(parse("emergency_overdose", 0.95), 0.9) is None
    assert check_for(parse("emergency_overdose", 0.9), 0.9) is None  # "below" is strict


def test_a_doubted_guess_is_a_check_however_confident() -> None:
    """The rules or the danger model doubt it (blether.nlu.components): ask, never card."""
    doubted = parse(
        "crisis_self_harm",
        0.99,
        [("crisis_self_harm", 0.99), ("goodbye", 0.01)],
        safety_doubted={"topic": "crisis_self_harm", "by": "danger model"},
    )
    check = check_for(doubted, 0.9)
    assert check is not None and check.topic == "crisis_self_harm"
    assert check_for(doubted, 0.0) is None  # the check turned off: the card, never nothing
    assert check_for(doubted, 0.9, in_form=True) is None


def test_a_rule_match_always_gets_the_card_at_once() -> None:
    forced = parse(
        "emergency_overdose",
        1.0,
        safety_net={"topic": "emergency_overdose", "pattern": "not breathing"},
    )
    assert check_for(forced, 1.01) is None
    # Even if some component upstream left a lower confidence on a forced intent.
    assert check_for({**UNSURE, "safety_net": {"topic": "emergency_overdose"}}, 0.9) is None


@pytest.mark.parametrize(
    "text", ["/emergency_overdose", "/crisis_self_harm", " /emergency_overdose"]
)
def test_a_button_payload_gets_the_card_whatever_the_threshold(text: str) -> None:
    intent = text.strip()[1:]
    assert check_for(parse(intent, 1.0, text=text), 1.01) is None
    assert check_for(parse(intent, 0.5, text=text), 0.9) is None  # "/intent@0.5" too


def test_other_topics_and_empty_parses_are_never_a_check() -> None:
    assert check_for(parse("withdrawal", 0.4), 0.9) is None
    assert check_for(parse("nlu_fallback", 0.3), 0.9) is None
    assert check_for(parse("affirm", 0.99), 1.01) is None
    assert check_for(None, 0.9) is None
    assert check_for({}, 0.9) is None
    # No confidence to go on: the card, not a question.
    assert check_for({"intent": {"name": "emergency_overdose"}}, 0.9) is None
    assert check_for({"intent": {"name": "emergency_overdose", "confidence": "high"}}, 0.9) is None


def test_in_the_middle_of_a_form_the_card_comes_at_once() -> None:
    assert check_for(UNSURE, 0.9, in_form=True) is None


def test_the_threshold_is_a_setting_with_a_high_default() -> None:
    assert Settings.from_env({}).safety_check_below == DEFAULT_CHECK_BELOW == 0.9
    assert Settings.from_env({"BLETHER_SAFETY_CHECK_BELOW": "1.01"}).safety_check_below == 1.01


@pytest.mark.parametrize(
    ("ranking", "expected"),
    [
        # the best non-safety topic, skipping the other safety topic and the fallback
        ([("emergency_overdose", 0.6), ("crisis_self_harm", 0.2), ("naloxone", 0.1)], "naloxone"),
        (
            [("nlu_fallback", 0.3), ("emergency_overdose", 0.3), ("find_service", 0.2)],
            "find_service",
        ),
        ([("crisis_self_harm", 0.5), ("request_human", 0.4)], "request_human"),
        # noise, dialogue and out of scope are no answer: the menu is kinder
        ([("emergency_overdose", 0.98), ("drug_checking", 0.01)], None),
        ([("emergency_overdose", 0.6), ("affirm", 0.3), ("withdrawal", 0.1)], None),
        ([("emergency_overdose", 0.6), ("out_of_scope", 0.3)], None),
        ([("emergency_overdose", 0.6), ("no_such_topic", 0.3)], None),
        ([("emergency_overdose", 1.0)], None),
        ([], None),
    ],
)
def test_the_second_guess(ranking: list[tuple[str, float]], expected: str | None) -> None:
    assert second_guess([{"name": n, "confidence": c} for n, c in ranking]) == expected


def test_only_topic_ids_and_substances_are_kept_for_the_answer() -> None:
    check = check_for(UNSURE, 0.9)
    assert check is not None
    assert check.saved() == {"topic": "couse_opioids", "entities": UNSURE["entities"]}
    assert "floppy" not in str(check.saved())
    assert Check("emergency_overdose", None, UNSURE["entities"]).saved() == {
        "topic": None,
        "entities": [],
    }
    assert instead_topic(check.saved()) == "couse_opioids"
    assert instead_topic({"topic": "emergency_overdose"}) is None
    assert instead_topic(None) is None and instead_topic("couse_opioids") is None


def test_the_check_is_one_line_with_999_and_yes_no_buttons(library: ContentLibrary) -> None:
    answer = check_answer(library, Check("emergency_overdose"))
    [reply] = answer.replies
    texts = library.bridge()
    assert reply.text == texts.danger_check and "999" in reply.text
    assert "Is someone in danger right now?" in reply.text
    assert [(b.title, b.payload) for b in reply.buttons] == [
        (texts.danger_check_yes, "/emergency_overdose"),
        (texts.danger_check_no, "/deny"),
    ]
    crisis = check_answer(library, Check("crisis_self_harm")).replies[0]
    # Worded for someone who may mean themselves, with the helplines in the one line.
    assert crisis.text == texts.danger_check_crisis
    assert "999" in crisis.text and "116 123" in crisis.text
    assert [(b.title, b.payload) for b in crisis.buttons] == [
        (texts.danger_check_crisis_yes, "/crisis_self_harm"),
        (texts.danger_check_no, "/deny"),
    ]
    assert answer.served_from == [library.version("bridge.yml")]


def test_no_answers_the_second_guess_as_its_topic_does(library: ContentLibrary) -> None:
    mentions = [
        Mention("blues", "street benzos", "benzodiazepine", 0, 5),
        Mention("methadone", "methadone", "opioid", 10, 19),
    ]
    couse = instead_answer(library, "couse_opioids", mentions)
    assert couse.replies[0].text == library.topic("couse_opioids").meta.summary
    assert "blues" in couse.replies[1].text and "methadone" in couse.replies[1].text
    advice = instead_answer(library, "withdrawal", [])
    assert advice.replies[0].text == library.topic("withdrawal").meta.summary
    services = instead_answer(library, "find_service", [])
    assert any("116 123" in r.text for r in services.replies)


def test_no_without_a_usable_guess_gets_a_kind_line_and_the_menu(library: ContentLibrary) -> None:
    answer = instead_answer(library, None, [])
    assert answer == no_guess_answer(library)
    assert answer.replies[0].text == library.bridge().danger_check_no_guess
    assert len(answer.replies[1].buttons) == len(library.menu().topics)


def test_a_broken_advice_file_falls_back_to_the_menu(
    library: ContentLibrary, content_dir: Path
) -> None:
    (content_dir / "topics" / "withdrawal.md").write_text("not an advice file")
    assert instead_answer(library, "withdrawal", []) == no_guess_answer(library)


def test_editors_own_the_words_and_999_cannot_be_lost(content_dir: Path) -> None:
    rewrite(content_dir / "bridge.yml", "call 999 now. ", "")
    problems = ContentLibrary(content_dir).check()
    assert any(p.field == "danger_check" and "999" in p.message for p in problems)


def test_the_crisis_check_cannot_lose_samaritans(content_dir: Path) -> None:
    rewrite(content_dir / "bridge.yml", "Samaritans free on 116 123", "Samaritans")
    problems = ContentLibrary(content_dir).check()
    assert any(p.field == "danger_check_crisis" and "116 123" in p.message for p in problems)


def test_a_bare_yes_or_no_in_yaml_is_caught(content_dir: Path) -> None:
    rewrite(content_dir / "bridge.yml", 'danger_check_no: "No"', "danger_check_no: No")
    problems = ContentLibrary(content_dir).check()
    assert any(p.field == "danger_check_no" and "quotes" in p.message for p in problems)
