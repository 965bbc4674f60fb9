"""The custom NLU components on their own, then inside the trained model."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from blether.content import ContentLibrary
from blether.danger import DANGER_MODEL, DangerModelSource
from blether.nlu.components import (
    SAFETY_DOUBTED_KEY,
    SAFETY_NET_KEY,
    NormalisingTokenizer,
    SafetyNetClassifier,
    SubstanceExtractor,
)
from tests.conftest import rewrite


def classified(text: str, intent: str, confidence: float = 0.99) -> Message:
    """A message as the classifier left it, before the safety net sees it."""
    message = Message(data={TEXT: text})
    message.set(INTENT, {"name": intent, "confidence": confidence})
    message.set(
        INTENT_RANKING_KEY,
        [
            {"name": intent, "confidence": confidence},
            {"name": "emergency_overdose", "confidence": 0.01},
        ],
    )
    return message


def test_safety_net_overrides_a_confident_wrong_classifier(library: ContentLibrary) -> None:
    message = classified("ma pal's no breathin right", "greet")
    # In the pipeline the tokenizer has normalised the text before the safety net reads it.
    NormalisingTokenizer(NormalisingTokenizer.get_default_config()).process([message])
    [message] = SafetyNetClassifier(library).process([message])
    assert message.get(INTENT) == {"name": "emergency_overdose", "confidence": 1.0}
    ranking = message.get(INTENT_RANKING_KEY)
    assert ranking[0]["name"] == "emergency_overdose"
    assert [r["name"] for r in ranking].count("emergency_overdose") == 1
    assert message.get(SAFETY_NET_KEY)["topic"] == "emergency_overdose"


def test_safety_net_overrides_nlu_fallback(library: ContentLibrary) -> None:
    [message] = SafetyNetClassifier(library).process(
        [classified("honestly i just want to die", "nlu_fallback", 0.3)]
    )
    assert message.get(INTENT)["name"] == "crisis_self_harm"


def test_safety_net_leaves_other_messages_alone(library: ContentLibrary) -> None:
    [message] = SafetyNetClassifier(library).process(
        [classified("what are the signs of an od", "overdose_signs")]
    )
    assert message.get(INTENT)["name"] == "overdose_signs"
    assert message.get(SAFETY_NET_KEY) is None


def test_safety_net_keeps_working_when_its_file_breaks_and_uses_new_patterns(
    content_dir: Path,
) -> None:
    component = SafetyNetClassifier(ContentLibrary(content_dir))
    path = content_dir / "safety.yml"
    rewrite(
        path,
        "crisis_self_harm:\n  patterns:\n",
        "crisis_self_harm:\n  patterns:\n"
        '    - pattern: "\\\\bbig sleep is calling\\\\b"\n'
        "      examples: [the big sleep is calling]\n",
    )
    [message] = component.process([classified("the big sleep is calling", "greet")])
    assert message.get(INTENT)["name"] == "crisis_self_harm"
    path.write_text("emergency_overdose: [broken")
    [message] = component.process([classified("he's not breathing", "greet")])
    assert message.get(INTENT)["name"] == "emergency_overdose"


def test_safety_net_falls_back_to_the_floor_without_a_content_folder(tmp_path: Path) -> None:
    [message] = SafetyNetClassifier(ContentLibrary(tmp_path)).process(
        [classified("she's not breathing", "greet")]
    )
    assert message.get(INTENT)["name"] == "emergency_overdose"


def test_substance_extractor_adds_entities_with_class(library: ContentLibrary) -> None:
    message = Message(data={TEXT: "vallies wae pregablin"})
    [message] = SubstanceExtractor(library).process([message])
    entities = message.get(ENTITIES)
    assert [(e["value"], e["additional_info"]["class"]) for e in entities] == [
        ("diazepam", "benzodiazepine"),
        ("pregabalin", "gabapentinoid"),
    ]
    assert all(e["extractor"] == "SubstanceExtractor" for e in entities)


def test_tokenizer_normalises_the_text_with_language_yml() -> None:
    tokenizer = NormalisingTokenizer(NormalisingTokenizer.get_default_config())
    message = Message(data={TEXT: "Ma pal's nae\u200b breathin"})
    tokenizer.process([message])
    assert message.get(TEXT) == "my pals no breathing"


def test_tokenizer_leaves_a_button_payload_for_rasas_regex_message_handler() -> None:
    tokenizer = NormalisingTokenizer(NormalisingTokenizer.get_default_config())
    payload = '/using_alone{"checkin": "start"}'
    message = Message(data={TEXT: payload})
    tokenizer.process([message])
    assert message.get(TEXT) == payload


@pytest.mark.model
def test_trained_model_forces_every_safety_example(
    model_path: Path, library: ContentLibrary
) -> None:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model_path))
    expect = library.safety().expect
    for topic in ("emergency_overdose", "crisis_self_harm"):
        for example in getattr(expect, topic):
            parsed = asyncio.run(agent.parse_message(example))
            assert parsed["intent"] == {"name": topic, "confidence": 1.0}, example
            assert parsed[SAFETY_NET_KEY]["topic"] == topic
    for example in expect.none:
        assert SAFETY_NET_KEY not in asyncio.run(agent.parse_message(example)), example


@pytest.mark.model
def test_trained_model_extracts_substances_and_survives_odd_input(model_path: Path) -> None:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model_path))
    parsed = asyncio.run(agent.parse_message("is it ok to take blues wae methadone"))
    assert parsed["intent"]["name"] == "couse_opioids"
    assert [e["value"] for e in parsed["entities"]] == ["street benzos", "methadone"]
    for odd in ("", "🙂" * 2000, "a" * 50_000, "\u200b\u200b"):
        assert "intent" in asyncio.run(agent.parse_message(odd))


def _ranked(text: str, ranking: list[tuple[str, float]]) -> Message:
    message = Message(data={TEXT: text})
    NormalisingTokenizer(NormalisingTokenizer.get_default_config()).process([message])
    message.set(INTENT, {"name": ranking[0][0], "confidence": ranking[0][1]})
    message.set(INTENT_RANKING_KEY, [{"name": n, "confidence": c} for n, c in ranking])
    return message


@pytest.mark.parametrize(
    ("text", "instead"),
    [
        ("dying for a coffee", "out_of_scope"),  # an idiom
        ("im not suicidal just knackered", "mental_health"),  # a denial
        ("nobody is hurt, i was just asking", "overdose_signs"),  # a denial
    ],
)
def test_a_classifier_only_safety_guess_gives_way_to_the_rules_reading(
    library: ContentLibrary, text: str, instead: str
) -> None:
    message = _ranked(text, [("crisis_self_harm", 0.8), (instead, 0.4)])
    [message] = SafetyNetClassifier(library).process([message])
    assert message.get(INTENT)["name"] == instead
    assert message.get(SAFETY_NET_KEY) is None
    assert message.get(SAFETY_DOUBTED_KEY) is None


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        # No danger word at all: perhaps a plan said through an arrangement.
        ("tell my key worker thanks", "crisis_self_harm"),
        ("goodbye", "crisis_self_harm"),
        # The topic's own cancel (a past event) in every clause with danger words.
        ("i overdosed last year and ended up in hospital", "emergency_overdose"),
    ],
)
def test_a_guess_the_rules_only_doubt_stands_as_a_question(
    library: ContentLibrary, text: str, topic: str
) -> None:
    message = _ranked(text, [(topic, 0.95), ("after_overdose", 0.03)])
    [message] = SafetyNetClassifier(library).process([message])
    assert message.get(INTENT) == {"name": topic, "confidence": 0.95}
    assert message.get(SAFETY_DOUBTED_KEY) == {"topic": topic}


def test_the_other_topics_cancels_do_not_doubt_a_guess(library: ContentLibrary) -> None:
    # "last night" cancels a past overdose (emergency), not a crisis said through a time.
    message = _ranked(
        "last night on earth for me, just wanted to say thanks",
        [
            ("crisis_self_harm", 0.95),
            ("thank", 0.03),
        ],
    )
    [message] = SafetyNetClassifier(library).process([message])
    assert message.get(INTENT) == {"name": "crisis_self_harm", "confidence": 0.95}
    assert message.get(SAFETY_DOUBTED_KEY) is None


def test_a_weak_second_guess_goes_to_the_menu(library: ContentLibrary) -> None:
    message = _ranked("dying for a coffee", [("emergency_overdose", 0.8), ("goodbye", 0.1)])
    [message] = SafetyNetClassifier(library).process([message])
    assert message.get(INTENT)["name"] == "nlu_fallback"


def _with_danger_model(library: ContentLibrary, model: Path) -> SafetyNetClassifier:
    return SafetyNetClassifier(library, 0.3, DangerModelSource(model), 0.5)


def test_the_danger_model_asks_about_what_the_topic_classifier_took_as_harmless(
    library: ContentLibrary, small_danger_model: Path
) -> None:
    message = _ranked("ive saved up my pills for the weekend", [("safer_use", 0.7), ("greet", 0.1)])
    [message] = _with_danger_model(library, small_danger_model).process([message])
    assert message.get(INTENT)["name"] == "crisis_self_harm"
    assert message.get(SAFETY_DOUBTED_KEY) == {"topic": "crisis_self_harm", "by": DANGER_MODEL}
    ranking = [r["name"] for r in message.get(INTENT_RANKING_KEY)]
    assert ranking[:2] == ["crisis_self_harm", "safer_use"]  # "No" answers what they asked


def test_the_danger_model_stays_quiet_below_its_threshold_and_on_a_denial(
    library: ContentLibrary, small_danger_model: Path
) -> None:
    quiet = _ranked("what are blues", [("benzo_basics", 0.9)])
    denied = _ranked("im not suicidal, ive saved up my pills for the weekend", [("safer_use", 0.7)])
    [quiet, denied] = _with_danger_model(library, small_danger_model).process([quiet, denied])
    assert quiet.get(INTENT)["name"] == "benzo_basics"
    assert denied.get(INTENT)["name"] == "safer_use"


def test_an_unsure_guess_the_danger_model_all_but_rules_out_gives_way(
    library: ContentLibrary, small_danger_model: Path
) -> None:
    message = _ranked("what are blues", [("emergency_overdose", 0.6), ("benzo_basics", 0.35)])
    [message] = _with_danger_model(library, small_danger_model).process([message])
    assert message.get(INTENT)["name"] == "benzo_basics"
    assert message.get(SAFETY_DOUBTED_KEY) is None


def test_a_classifier_guess_the_danger_model_does_not_share_is_asked_about(
    library: ContentLibrary, small_danger_model: Path
) -> None:
    message = _ranked("everything feels wrong, what are blues", [("crisis_self_harm", 0.95)])
    [message] = _with_danger_model(library, small_danger_model).process([message])
    assert message.get(INTENT)["name"] == "crisis_self_harm"
    assert message.get(SAFETY_DOUBTED_KEY) == {"topic": "crisis_self_harm"}


def test_a_classifier_only_safety_guess_with_danger_words_stands(library: ContentLibrary) -> None:
    message = _ranked("everything feels wrong tonight", [("crisis_self_harm", 0.7), ("greet", 0.2)])
    [message] = SafetyNetClassifier(library).process([message])
    assert message.get(INTENT) == {"name": "crisis_self_harm", "confidence": 0.7}
