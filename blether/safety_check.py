"""A check instead of a card when only the classifier is unsure of a safety topic.

When no safety rule matched and the classifier alone picked `emergency_overdose` or
`crisis_self_harm` below a high confidence, Blether sends one short line with 999 and asks "Is
someone in danger right now?" with Yes / No buttons. Yes gives the full card for the topic the
classifier guessed; No gives the answer to what the message seemed to ask instead: the best
non-safety topic of the same message's intent ranking, or, with no usable guess, a kind line and
the topic menu.

A reading the rules or the danger model doubt (`safety_doubted`: a past event, a hypothetical or
a question in every clause with danger words, no danger word at all, or the danger model alone
reading danger) is checked however confident the classifier.
A rule match, a button payload ("/emergency_overdose", confidence 1.0 or not), an undoubted
confident classifier, and a message in the middle of a form always get the full card at once.

This module decides; the Rasa actions (actions/safety.py) only translate. It reads the parse
data Rasa passes to actions as `tracker.latest_message`: `intent`, `intent_ranking`, `entities`,
`text`, and `safety_net` when a safety rule forced the intent (blether/nlu/components.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from blether.answers import answer_for
from blether.content import ContentError, ContentLibrary
from blether.mentions import Mention
from blether.replies import Answer, Button, Reply, menu_answer
from blether.topics import ADVICE_TOPICS, SAFETY

DEFAULT_CHECK_BELOW = 0.9
# A second guess below this is noise, not a reading of the message: the menu is kinder.
MIN_SECOND_GUESS = 0.05
SAFETY_NET_KEY = "safety_net"  # set by blether.nlu.components.SafetyNetClassifier
# Set there too when the rules or the danger model doubt a reading (a past event, a
# hypothetical, no danger word; the danger model's own reading): the person is asked first.
SAFETY_DOUBTED_KEY = "safety_doubted"
PAYLOAD_PREFIX = "/"  # Rasa reads "/intent" as that intent, with confidence 1.0
# Topics that may answer a "No": anything with an answer of its own except the safety topics and
# out_of_scope ("I can't help with that" is not what someone asked for).
ANSWERABLE = frozenset(t for t in ADVICE_TOPICS if t not in SAFETY and t != "out_of_scope")
# "No" to the check with this second guess starts the referral form, as asking for it would.
STARTS_REFERRAL = "request_human"


@dataclass(frozen=True)
class Check:
    """Ask first: `topic` is the classifier's safety guess, `instead` what else it might be."""

    topic: str
    instead: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)

    def saved(self) -> dict[str, Any]:
        """What is kept until the person answers (no text: topic ids and the substances)."""
        return {"topic": self.instead, "entities": self.entities if self.instead else []}


def is_payload(text: object) -> bool:
    return isinstance(text, str) and text.strip().startswith(PAYLOAD_PREFIX)


def check_for(parse: Mapping[str, Any] | None, below: float, in_form: bool = False) -> Check | None:
    """A check when only the classifier is unsure of a safety topic; None for the card at once.

    `parse` is the message's parse data, `below` the confidence under which a classifier-only
    safety guess is unsure (BLETHER_SAFETY_CHECK_BELOW), `in_form` whether a form is asking its
    questions (a yes or no then belongs to the form, so the card is given straight away).
    """
    if not parse or in_form:
        return None
    intent = parse.get("intent") or {}
    topic = intent.get("name")
    if topic not in SAFETY or parse.get(SAFETY_NET_KEY) or is_payload(parse.get("text")):
        return None
    try:
        confidence = float(intent["confidence"])
    except (KeyError, TypeError, ValueError):
        return None  # no confidence to go on: the card
    doubted = bool(parse.get(SAFETY_DOUBTED_KEY)) and below > 0
    if not confidence < below and not doubted:  # sure enough (or not a number): the card
        return None
    instead = second_guess(parse.get("intent_ranking") or [])
    return Check(str(topic), instead, list(parse.get("entities") or []))


def second_guess(ranking: Sequence[Mapping[str, Any]]) -> str | None:
    """The best non-safety topic of the ranking, if it can answer and is more than noise."""
    for entry in ranking:
        name = entry.get("name")
        if name in SAFETY or name == "nlu_fallback":
            continue
        try:
            confidence = float(entry.get("confidence") or 0.0)
        except (TypeError, ValueError):
            return None
        if name in ANSWERABLE and confidence >= MIN_SECOND_GUESS:
            return str(name)
        return None
    return None


def check_answer(library: ContentLibrary, check: Check) -> Answer:
    """One line with 999 and the question (for a crisis, worded for the person themselves and
    with Samaritans). Yes asks for the card itself: a late tap still works."""
    texts = library.bridge()
    crisis = check.topic == "crisis_self_harm"
    question = texts.danger_check_crisis if crisis else texts.danger_check
    buttons = (
        Button(
            texts.danger_check_crisis_yes if crisis else texts.danger_check_yes,
            f"{PAYLOAD_PREFIX}{check.topic}",
        ),
        Button(texts.danger_check_no, f"{PAYLOAD_PREFIX}deny"),
    )
    return Answer("safety_check", [Reply(question, buttons)], [library.version("bridge.yml")])


def no_guess_answer(library: ContentLibrary) -> Answer:
    menu = menu_answer(library, lead=library.bridge().danger_check_no_guess)
    return Answer(menu.topic, menu.replies, [library.version("bridge.yml"), *menu.served_from])


def instead_topic(saved: object) -> str | None:
    """The topic kept by `Check.saved`, if it can still answer."""
    topic = saved.get("topic") if isinstance(saved, Mapping) else None
    return topic if topic in ANSWERABLE else None


def instead_answer(library: ContentLibrary, topic: str | None, mentions: list[Mention]) -> Answer:
    """The answer to what they asked, as that topic answers it; the menu if there is none.

    Starting the referral form (`STARTS_REFERRAL`) is the dialogue's to do, not an answer's.
    """
    if topic is None or topic == STARTS_REFERRAL:
        return no_guess_answer(library)
    try:
        return answer_for(library, topic, mentions)
    except ContentError:
        return no_guess_answer(library)
