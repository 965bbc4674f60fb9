"""The deterministic safety net: rules that force the emergency and crisis topics.

Rules are regular expressions over the normaliser's output, written with named vocabularies
(`{person} {negation} {breathe}`) so that one rule covers every spelling the normaliser leaves.
A `not_if` rule (a question about signs, a past event, a hypothetical, a denial) cancels a match
only when it stands in the same clause as the danger words, and a present-tense marker ("now",
"still") in that clause wins over a past or hypothetical cancel. When in doubt the match stands:
a missed cancel costs a card, a missed emergency can cost a life.
"""

from __future__ import annotations

import logging
import re
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from functools import cache
from pathlib import Path

from blether.content import ContentLibrary
from blether.content.derived import Derived
from blether.content.errors import ContentError, Problem
from blether.content.safety_models import LanguageFile, SafetyFile, SafetyGroup
from blether.language import Normaliser

logger = logging.getLogger(__name__)

# When a message matches both, physical danger now comes first: the emergency card also
# carries 999.
PRIORITY = ("emergency_overdose", "crisis_self_harm")
_REFERENCE = re.compile(r"\{([a-z_]+)\}")


class Doubt(Enum):
    """Why the rules argue with a language model's safety guess (see `SafetyNet.doubt`)."""

    HARMLESS = "harmless"
    UNSURE = "unsure"


@dataclass(frozen=True)
class SafetyMatch:
    topic: str
    pattern: str


def _alternation(words: list[str]) -> str:
    # Longest first, so that "right now" is tried before "right".
    ordered = sorted({w.strip().lower() for w in words}, key=len, reverse=True)
    return r"\b(?:" + "|".join(re.escape(w).replace(r"\ ", " ") for w in ordered) + r")\b"


def compile_pattern(pattern: str, vocabulary: Mapping[str, list[str]]) -> re.Pattern[str]:
    """`{name}` becomes any word of that vocabulary; raises KeyError for an unknown name."""

    def expand(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in vocabulary:
            raise KeyError(f"no vocabulary named '{name}'")
        return _alternation(vocabulary[name])

    return re.compile(_REFERENCE.sub(expand, pattern))


@dataclass(frozen=True)
class _Rule:
    source: str
    regex: re.Pattern[str]
    present_wins: bool


class SafetyNet:
    """Normalises a message once, then runs the rules of each group in priority order."""

    def __init__(self, rules: SafetyFile, normaliser: Normaliser) -> None:
        self.normalise = normaliser
        vocabulary = rules.vocabulary

        def compiled(group: SafetyGroup, attr: str) -> list[_Rule]:
            return [
                _Rule(p.pattern, compile_pattern(p.pattern, vocabulary), p.present_wins)
                for p in getattr(group, attr)
            ]

        self._groups = {
            topic: (
                compiled(getattr(rules, topic), "patterns"),
                compiled(getattr(rules, topic), "not_if"),
            )
            for topic in PRIORITY
        }
        words = vocabulary.get("danger_words")
        self._danger = re.compile(_alternation(words)) if words else None
        self._idioms = [
            _Rule(p.pattern, compile_pattern(p.pattern, vocabulary), False) for p in rules.idioms
        ]
        self._present = re.compile(_alternation(rules.present)) if rules.present else None
        punctuation = [b for b in rules.clause_breaks if not b[0].isalnum()]
        words = [b for b in rules.clause_breaks if b[0].isalnum()]
        parts = [re.escape(p) for p in punctuation]
        if words:
            parts.append(_alternation(words))
        self._breaks = re.compile("|".join(parts)) if parts else None

    def check(self, text: str) -> SafetyMatch | None:
        return self.check_normalised(self.normalise(text))

    def check_normalised(self, clean: str) -> SafetyMatch | None:
        """For text that has been through this net's normaliser already (inside Rasa)."""
        clean = self._without_idioms(clean)
        cuts = [m.start() for m in self._breaks.finditer(clean)] if self._breaks else []
        for topic in PRIORITY:
            patterns, cancels = self._groups[topic]
            for rule in patterns:
                for found in rule.regex.finditer(clean):
                    scope = _clause(clean, cuts, found.start(), found.end())
                    if not self._cancelled(scope, cancels):
                        return SafetyMatch(topic, rule.source)
        return None

    def _without_idioms(self, clean: str) -> str:
        # Every idiom reads the message as written, so that one idiom's blanking cannot hide
        # words another needs ("my phones dead and i cant wake it": the dying-phone idiom and
        # the phone-that-will-not-wake one); then all their spans are blanked, to the same
        # length, so every other position in the text stays put.
        spans = [m.span() for idiom in self._idioms for m in idiom.regex.finditer(clean)]
        if not spans:
            return clean
        chars = list(clean)
        for start, end in spans:
            chars[start:end] = "~" * (end - start)
        return "".join(chars)

    def has_idiom(self, clean: str) -> bool:
        return any(idiom.regex.search(clean) for idiom in self._idioms)

    def for_danger_model(self, clean: str) -> str:
        """A normalised message as the danger model reads it: idioms taken out, as the rules
        take them out, so that "dying for a fag" cannot set it off either."""
        return " ".join(self._without_idioms(clean).replace("~", " ").split())

    def mentions_danger(self, clean: str) -> bool:
        """Whether a normalised message has any word of the `danger_words` vocabulary."""
        return self._danger is None or self._danger.search(clean) is not None

    def doubt(self, clean: str, topic: str) -> Doubt | None:
        """How the rules read a normalised message the language model alone took as `topic`.

        `HARMLESS`: an idiom ("dying for a fag") or a denial ("im not suicidal", "nobody is
        hurt") says the danger words are not danger; the guess gives way to another topic.
        `UNSURE`: no danger word at all, or one of the topic's own past, hypothetical or
        question cancels in every clause that has a danger word: too weak to drop a guess that
        may be a plan said indirectly ("wont be around after this weekend", "last night on
        earth for me"), so the person is asked instead of handed the card. None: nothing in
        the rules argues with the guess. Used only where no rule matched.
        """
        denials = [c for _, cancels in self._groups.values() for c in cancels if not c.present_wins]
        if any(c.regex.search(clean) for c in denials):
            return Doubt.HARMLESS
        blanked = self._without_idioms(clean)
        if not self.mentions_danger(blanked):
            # Idioms held every danger word ("my phone is dying"): harmless. No danger word
            # at all: perhaps a plan said through an arrangement; ask.
            return Doubt.HARMLESS if blanked != clean else Doubt.UNSURE
        clean = blanked
        own = self._groups[topic][1] if topic in self._groups else []
        cuts = [m.start() for m in self._breaks.finditer(clean)] if self._breaks else []
        bounds = [0, *cuts, len(clean)]
        clauses = [clean[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]
        dangerous = [c for c in clauses if self.mentions_danger(c)]
        if all(self._cancelled(c, own) for c in dangerous):
            return Doubt.UNSURE
        return None

    def matches_rule(self, text: str, pattern: str) -> bool:
        """Whether one rule, by its source text, matches a message (for checking examples)."""
        clean = self.normalise(text)
        rules = [r for group in self._groups.values() for r in (*group[0], *group[1])]
        for rule in [*rules, *self._idioms]:
            if rule.source == pattern and rule.regex.search(clean):
                return True
        return False

    def _cancelled(self, scope: str, cancels: list[_Rule]) -> bool:
        present = self._present is not None and self._present.search(scope) is not None
        return any(c.regex.search(scope) and not (c.present_wins and present) for c in cancels)


def _clause(text: str, cuts: list[int], start: int, end: int) -> str:
    """The clause or clauses that the span [start, end) touches."""
    first = bisect_right(cuts, start) - 1
    last = bisect_right(cuts, max(start, end - 1)) - 1
    begin = cuts[first] if first >= 0 else 0
    finish = cuts[last + 1] if last + 1 < len(cuts) else len(text)
    return text[begin:finish]


def verify_examples(net: SafetyNet, rules: SafetyFile) -> list[tuple[str, str]]:
    """Every example still behaves as written, under the current language.yml too.

    Returns (field, message) pairs, the field named as pydantic names fields elsewhere.
    """
    problems = []
    for number, idiom in enumerate(rules.idioms):
        for example in idiom.examples:
            if not net.matches_rule(example, idiom.pattern):
                problems.append((f"idioms.{number}", f"does not match its own example '{example}'"))
    for topic in PRIORITY:
        group: SafetyGroup = getattr(rules, topic)
        for attr in ("patterns", "not_if"):
            for number, pattern in enumerate(getattr(group, attr)):
                for example in pattern.examples:
                    if not net.matches_rule(example, pattern.pattern):
                        problems.append(
                            (
                                f"{topic}.{attr}.{number}",
                                f"does not match its own example '{example}' "
                                f"(read as '{net.normalise(example)}')",
                            )
                        )
    for expected in (*PRIORITY, "none"):
        for message in getattr(rules.expect, expected):
            got = net.check(message)
            outcome = got.topic if got else "none"
            if outcome != expected:
                problems.append(
                    (
                        f"expect.{expected}",
                        f"'{message}' now gives {outcome} (read as '{net.normalise(message)}')",
                    )
                )
    return problems


def build_checked(rules: SafetyFile, language: LanguageFile, path: Path) -> SafetyNet:
    """The net from both files, refused (ContentError) if any example changed its outcome."""
    net = SafetyNet(rules, Normaliser(language))
    problems = verify_examples(net, rules)
    if problems:
        raise ContentError([Problem(path, field, message) for field, message in problems])
    return net


class SafetyNetSource:
    """The current safety net: rebuilt when safety.yml or language.yml changes.

    A broken edit keeps the last good net; if neither file ever loaded, a built-in floor of
    plain rules answers, so the assistant is never without a safety net.
    """

    def __init__(self, library: ContentLibrary) -> None:
        path = library.root / "safety.yml"
        self._net = Derived(
            lambda: (library.safety(), library.language()),
            lambda both: build_checked(*both, path),
        )
        self._language = Derived(library.language, Normaliser)

    def get(self) -> SafetyNet:
        return self._net.get() or floor_net()

    def normaliser(self) -> Normaliser:
        """language.yml's normaliser, with the safety net's own rules or not."""
        return self._language.get() or floor_normaliser()


@cache
def floor_language() -> LanguageFile:
    return LanguageFile.parse_obj(
        {
            "forms": {
                "nae": "no",
                "cannae": "cant",
                "canny": "cant",
                "willnae": "wont",
                "isnae": "isnt",
                "breathin": "breathing",
                "wakin": "waking",
                "masel": "myself",
                "maself": "myself",
                "mysel": "myself",
                "tae": "to",
                "kms": "kill myself",
                "od": "overdose",
                "oding": "overdosing",
                "oded": "overdosed",
            },
            "typo_targets": ["breathing", "overdosing", "overdosed", "unconscious", "suicidal"],
            "keep": ["conscious"],
        }
    )


@cache
def floor_normaliser() -> Normaliser:
    return Normaliser(floor_language())


@cache
def floor_rules() -> SafetyFile:
    # Used only when content/safety.yml or language.yml has never loaded: a broken file must
    # not leave the assistant with no safety net at all.
    return SafetyFile.parse_obj(
        {
            "clause_breaks": [".", "!", "?", ";", ","],
            "emergency_overdose": {
                "patterns": [
                    {
                        "pattern": r"\b(not|isnt|stopped|no) breath",
                        "examples": ["hes not breathing"],
                    },
                    {"pattern": r"\boverdos(ed|ing)\b", "examples": ["she's overdosing"]},
                    {"pattern": r"\b(wont|cant) wake\b", "examples": ["i cant wake him"]},
                    {"pattern": r"\bunconscious\b", "examples": ["he's unconscious"]},
                ]
            },
            "crisis_self_harm": {
                "patterns": [
                    {"pattern": r"\b(kill|hurt|harm) myself\b", "examples": ["kms"]},
                    {"pattern": r"\bsuicid", "examples": ["i feel suicidal"]},
                    {"pattern": r"\b(want|wanna) (to )?die\b", "examples": ["i want to die"]},
                ]
            },
        }
    )


@cache
def floor_net() -> SafetyNet:
    return SafetyNet(floor_rules(), floor_normaliser())
