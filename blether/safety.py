"""The deterministic safety net: patterns that force the emergency and crisis topics."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from blether.content.models import SafetyFile, SafetyGroup
from blether.text import normalise

# When a message matches both, physical danger now comes first: the emergency card also
# carries 999.
PRIORITY = ("emergency_overdose", "crisis_self_harm")


@dataclass(frozen=True)
class SafetyMatch:
    topic: str
    pattern: str


def _compile(group: SafetyGroup) -> tuple[list[re.Pattern[str]], list[re.Pattern[str]]]:
    # Patterns were proven to compile when the file was validated.
    return (
        [re.compile(p.pattern, re.IGNORECASE) for p in group.patterns],
        [re.compile(p.pattern, re.IGNORECASE) for p in group.not_if],
    )


class SafetyNet:
    """Matches normalised text; a `not_if` pattern (a question about signs, say) cancels a group."""

    def __init__(self, rules: SafetyFile) -> None:
        self._groups = {topic: _compile(getattr(rules, topic)) for topic in PRIORITY}

    def check(self, text: str) -> SafetyMatch | None:
        clean = normalise(text).lower()
        for topic in PRIORITY:
            patterns, negations = self._groups[topic]
            if any(n.search(clean) for n in negations):
                continue
            for pattern in patterns:
                if pattern.search(clean):
                    return SafetyMatch(topic, pattern.pattern)
        return None


@cache
def floor_rules() -> SafetyFile:
    # Used only when content/safety.yml has never loaded: a broken file must not leave
    # the assistant with no safety net at all.
    return SafetyFile.parse_obj(
        {
            "emergency_overdose": {
                "patterns": [
                    {
                        "pattern": r"\b(not|isn'?t|stopped|no) breath",
                        "examples": ["he's not breathing"],
                    },
                    {
                        "pattern": r"\b(od'?d|od'?ing|overdos(ed|ing))\b",
                        "examples": ["she's overdosing"],
                    },
                    {
                        "pattern": r"\b(won'?t|can'?t|cannae) wake\b",
                        "examples": ["i cant wake him"],
                    },
                ]
            },
            "crisis_self_harm": {
                "patterns": [
                    {
                        "pattern": r"\b(kill|hurt|harm) my ?self\b",
                        "examples": ["i want to kill myself"],
                    },
                    {"pattern": r"\bsuicid", "examples": ["i feel suicidal"]},
                    {"pattern": r"\b(want|wanna) (to )?die\b", "examples": ["i want to die"]},
                ]
            },
        }
    )
