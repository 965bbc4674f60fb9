"""What answered a turn, read from Rasa's tracker, for `blether chat` to show under a reply.

Every piece comes from what Rasa and the actions really recorded (nothing is guessed):

- topic, confidence, entities, the text as the model read it (normalised), and a safety rule
  that forced the topic: the latest message's parse data (`latest_message`), where
  blether.nlu.components.SafetyNetClassifier leaves `safety_net` ({topic, pattern}) or
  `safety_gave_way` ({topic}: the classifier's safety guess the rules explained away) or
  `safety_doubted` ({topic, by}: a guess the rules or the danger model doubt: a question first);
- the actions that ran and the policy that chose each: the turn's `action` events;
- domain responses: the `utter_action` Rasa puts in a bot event's metadata;
- the advice files and versions: the `answered_from` slot, which every content action sets
  to its Answer's provenance ("topics/x.md@hash ...") in the same turn (actions/common.py);
- a safety match the console's own safety net made before Rasa (as the Telegram bridge does):
  passed in, since Rasa then only sees the topic as a payload.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from blether.danger import DANGER_MODEL
from blether.safety import SafetyMatch
from blether.topics import SAFETY

ANSWERED_FROM_SLOT = "answered_from"  # actions/common.py
PAYLOAD_PREFIX = "/"  # Rasa reads "/topic" as that intent with confidence 1.0
NO_SLOT = object()


@dataclass(frozen=True)
class Working:
    topic: str | None = None
    confidence: float | None = None
    read_as: str | None = None
    source: str = "classifier"  # or "button payload", or "safety net" (before Rasa)
    safety: str = "no rule matched"
    entities: list[dict[str, Any]] = field(default_factory=list)
    answered_by: list[str] = field(default_factory=list)
    advice: str | None = None
    advice_set: bool = False  # whether a content action set `answered_from` this turn
    form: str | None = None


def _turn_events(events: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The events since the latest message: what this turn did."""
    last_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=-1)
    return list(events[last_user + 1 :])


def _rule(pattern: object, examples: Mapping[str, str]) -> str:
    """A safety rule as a person can read it: the message it was written for, not its regex."""
    example = examples.get(str(pattern))
    if example is not None:
        return f'the rule for messages like "{example}"'
    text = str(pattern)
    return f'rule "{text[:60]}…"' if len(text) > 60 else f'rule "{text}"'


def _safety(
    parse: Mapping[str, Any],
    topic: str | None,
    payload: bool,
    bridge: SafetyMatch | None,
    examples: Mapping[str, str],
) -> str:
    if bridge is not None:
        rule = _rule(bridge.pattern, examples)
        return f"{rule} -> {bridge.topic} (safety net, before Rasa)"
    found = parse.get("safety_net")
    if isinstance(found, Mapping):
        rule = _rule(found.get("pattern"), examples)
        return f"{rule} -> {found.get('topic')} (SafetyNetClassifier)"
    gave_way = parse.get("safety_gave_way")
    if isinstance(gave_way, Mapping):
        return f"classifier guessed {gave_way.get('topic')}; the rules read it as harmless"
    doubted = parse.get("safety_doubted")
    if isinstance(doubted, Mapping):
        if doubted.get("by") == DANGER_MODEL:
            return f"danger model read {doubted.get('topic')}; asked, not carded"
        return f"classifier guessed {doubted.get('topic')}; the rules doubt it: asked, not carded"
    if topic in SAFETY:
        return "button payload" if payload else "classifier only (no rule matched)"
    return "no rule matched"


def _answered_by(turn: Sequence[Mapping[str, Any]]) -> list[str]:
    shown: list[str] = []
    for event in turn:
        if event.get("event") == "action" and event.get("name") != "action_listen":
            name, policy = str(event.get("name")), event.get("policy")
            where = "domain.yml" if name.startswith("utter_") else None
            detail = ", ".join(str(p) for p in (where, policy) if p)
            shown.append(f"{name} ({detail})" if detail else name)
        elif event.get("event") == "bot":
            utter = (event.get("metadata") or {}).get("utter_action")
            # A form or action that sent a domain response: name the response too.
            if utter and not any(s.startswith(f"{utter} ") or s == utter for s in shown):
                shown.append(f"{utter} (domain.yml)")
    return shown


def working_from(
    tracker: Mapping[str, Any],
    bridge: SafetyMatch | None = None,
    examples: Mapping[str, str] | None = None,
) -> Working:
    """The working of the latest turn, from Rasa's tracker (GET /conversations/{id}/tracker).
    `examples`: each safety rule's first example, by its pattern, to name a rule by."""
    parse = tracker.get("latest_message") or {}
    intent = parse.get("intent") or {}
    topic = intent.get("name")
    confidence = intent.get("confidence")
    text = str(parse.get("text") or "")
    payload = text.startswith(PAYLOAD_PREFIX)
    turn = _turn_events(tracker.get("events") or [])
    advice: Any = NO_SLOT
    for event in turn:
        if event.get("event") == "slot" and event.get("name") == ANSWERED_FROM_SLOT:
            advice = event.get("value")
    loop = tracker.get("active_loop") or {}
    source = "safety net" if bridge else "button payload" if payload else "classifier"
    return Working(
        topic=str(topic) if topic else None,
        confidence=float(confidence) if confidence is not None else None,
        read_as=None if payload else text or None,
        source=source,
        safety=_safety(parse, topic, payload, bridge, examples or {}),
        entities=list(parse.get("entities") or []),
        answered_by=_answered_by(turn),
        advice=None if advice is NO_SLOT or advice is None else str(advice),
        advice_set=advice is not NO_SLOT,
        form=str(loop["name"]) if loop.get("name") else None,
    )


def render_working(working: Working) -> list[str]:
    """A few short lines: topic and confidence, safety, entities, what answered, advice."""
    from blether.cli import format_entities  # the same shape as `blether ask`

    if working.topic:
        confidence = f"{working.confidence:.2f}" if working.confidence is not None else "?"
        lines = [f"topic: {working.topic} (confidence {confidence}, {working.source})"]
    else:
        lines = ["topic: none"]
    if working.read_as:
        lines.append(f"read as: {working.read_as}")
    lines.append(f"safety: {working.safety}")
    lines.append(f"entities: {format_entities(working.entities)}")
    lines.append(f"answered by: {', '.join(working.answered_by) or 'nothing'}")
    if working.form:
        lines.append(f"form: {working.form} (active)")
    if working.advice:
        lines.append(f"advice: {', '.join(working.advice.split())}")
    elif working.advice_set:
        lines.append("advice: none (the content could not be read; see the action log)")
    else:
        lines.append("advice: none this turn (not an advice answer)")
    return lines
