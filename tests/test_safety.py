from __future__ import annotations

from pathlib import Path

import pytest

from blether.content import ContentLibrary
from blether.safety import SafetyNet, floor_rules
from tests.conftest import rewrite


@pytest.fixture
def net(library: ContentLibrary) -> SafetyNet:
    return SafetyNet(library.safety())


@pytest.mark.parametrize(
    "text",
    [
        "my pal is not breathing",
        "hes no breathing",
        "HE'S TURNING BLUE",
        "i cant wake her",
        "she took blues and wont wake up",
        "he\u2019s not responding",
        "o\u200bverdosing",
        "need an ambulance",
        "he's gouching and wont come round",
    ],
)
def test_overdose_now_is_an_emergency(net: SafetyNet, text: str) -> None:
    match = net.check(text)
    assert match is not None and match.topic == "emergency_overdose"


@pytest.mark.parametrize(
    "text",
    [
        "i want to die",
        "im gonna kill myself",
        "i dont want to be here anymore",
        "i self harm",
        "whats the point in living",
        "gonna take all my blues and not wake up",
    ],
)
def test_self_harm_now_is_a_crisis(net: SafetyNet, text: str) -> None:
    match = net.check(text)
    assert match is not None and match.topic == "crisis_self_harm"


@pytest.mark.parametrize(
    "text",
    [
        "what are the signs of an overdose",
        "how do i know if someone is overdosing",
        "what to do if someone ever stops breathing",
        "how do i avoid overdosing on blues",
        "i overdosed last year",
        "im not suicidal just tired",
        "what are blues",
        "",
        "😀" * 500,
    ],
)
def test_questions_about_overdose_and_ordinary_messages_are_not_forced(
    net: SafetyNet, text: str
) -> None:
    assert net.check(text) is None


def test_emergency_wins_when_both_match(net: SafetyNet) -> None:
    match = net.check("i took all my pills to kill myself and now hes not breathing")
    assert match is not None and match.topic == "emergency_overdose"


def test_a_long_message_is_checked_quickly_and_fully(net: SafetyNet) -> None:
    text = ("blah " * 10_000) + "my pal is not breathing"
    match = net.check(text)
    assert match is not None and match.topic == "emergency_overdose"


def test_a_pattern_that_does_not_compile_is_rejected_with_its_field(content_dir: Path) -> None:
    rewrite(content_dir / "safety.yml", '"\\\\bsuicid(?:e|al)\\\\b"', '"\\\\bsuicid(?:e|al\\\\b"')
    problems = ContentLibrary(content_dir).check()
    assert any(
        p.field == "crisis_self_harm.patterns.1" and "compile" in p.message for p in problems
    )


def test_a_pattern_that_misses_its_example_is_rejected(content_dir: Path) -> None:
    rewrite(
        content_dir / "safety.yml",
        "examples: [im suicidal, im thinking about suicide]",
        "examples: [im suicidal, i am feeling awful]",
    )
    problems = ContentLibrary(content_dir).check()
    assert any("does not match its own example 'i am feeling awful'" in p.message for p in problems)


def test_the_built_in_floor_still_catches_the_plainest_messages() -> None:
    floor = SafetyNet(floor_rules())
    assert floor.check("he is not breathing").topic == "emergency_overdose"  # type: ignore[union-attr]
    assert floor.check("i want to kill myself").topic == "crisis_self_harm"  # type: ignore[union-attr]
