"""The custom NLU components on their own, then inside the trained model."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from blether.content import ContentLibrary
from blether.nlu.components import (
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
    [message] = SafetyNetClassifier(library).process(
        [classified("ma pal's no breathin right", "greet")]
    )
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
        "examples: [im going to jump, i have the rope ready]",
        "examples: [im going to jump, i have the rope ready]\n"
        '    - pattern: "\\\\bbridge tonight\\\\b"\n      examples: [going off the bridge tonight]',
    )
    [message] = component.process([classified("going off the bridge tonight", "greet")])
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


def test_tokenizer_normalises_the_text() -> None:
    tokenizer = NormalisingTokenizer(NormalisingTokenizer.get_default_config())
    message = Message(data={TEXT: "not\u200b breathing"})
    tokenizer.process([message])
    assert message.get(TEXT) == "not breathing"


@pytest.mark.model
def test_trained_model_forces_every_safety_example(
    model_path: Path, library: ContentLibrary
) -> None:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model_path))
    rules = library.safety()
    for topic in ("emergency_overdose", "crisis_self_harm"):
        for pattern in getattr(rules, topic).patterns:
            for example in pattern.examples:
                parsed = asyncio.run(agent.parse_message(example))
                assert parsed["intent"]["name"] == topic, example


@pytest.mark.model
def test_trained_model_extracts_substances_and_survives_odd_input(model_path: Path) -> None:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model_path))
    parsed = asyncio.run(agent.parse_message("is it ok to take blues wae methadone"))
    assert parsed["intent"]["name"] == "couse_opioids"
    assert [e["value"] for e in parsed["entities"]] == ["street benzos", "methadone"]
    for odd in ("", "🙂" * 2000, "a" * 50_000, "\u200b\u200b"):
        assert "intent" in asyncio.run(agent.parse_message(odd))
