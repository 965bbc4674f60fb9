"""What a person's message becomes before Rasa sees it: one place for the bridge and the console.

The whole message (up to Telegram's limit) is read by the safety net first; a match is
answered with its card at once and Rasa is told only the topic, as an intent payload, so that
it records it without re-reading (or cutting) the text. Otherwise a message longer than the
model's limit is cut, and the person is told.
"""

from __future__ import annotations

from dataclasses import dataclass

from blether.safety import SafetyMatch, SafetyNet

# Telegram's own limit on a message: the safety net reads all of it, the model a shorter cut.
TELEGRAM_MAX_CHARS = 4096


@dataclass(frozen=True)
class TurnPlan:
    text: str  # the message as read (at most Telegram's limit)
    match: SafetyMatch | None  # the safety net's reading: a card goes first
    for_rasa: str
    cut: bool  # too long for the model: cut, and the person told


def plan_turn(net: SafetyNet, text: str, max_message_chars: int) -> TurnPlan:
    text = text[:TELEGRAM_MAX_CHARS]
    match = net.check(text)
    if match is not None:
        return TurnPlan(text, match, f"/{match.topic}", False)
    if len(text) > max_message_chars:
        return TurnPlan(text, None, text[:max_message_chars], True)
    return TurnPlan(text, None, text, False)
