"""Reading the check-in set-up answers: how many minutes, and who is told. No Rasa here."""

from __future__ import annotations

import re

from blether.checkin_flow import CONTACT, MAX_MINUTES, MIN_MINUTES, WORKER
from blether.text import comparable

STOPPED = "stopped"
# The "Check on me" button and /checkin: the using_alone intent, marked as a check-in request.
CHECKIN_PAYLOAD = '/using_alone{"checkin": "start"}'
_ASKS_FOR_CHECKIN = re.compile(
    r"\b(check (in )?(on|up on) me|check ?in|checkin|check on me|make sure (im|i'm|i am) (ok|okay|"
    r"alright|awright)|(message|text|ping) me in|if i (dont|don't|do not) (answer|reply))\b"
)
STOP_WORDS = frozenset(
    {
        "stop",
        "cancel",
        "quit",
        "nevermind",
        "never mind",
        "forget it",
        "no stop",
        "naw stop",
        "leave it",
        "no thanks",
        "dont bother",
        "don't bother",
    }
)
_NUMBER_WORDS = {
    "five": 5,
    "ten": 10,
    "fifteen": 15,
    "twenty": 20,
    "twenty five": 25,
    "thirty": 30,
    "forty": 40,
    "forty five": 45,
    "fifty": 50,
    "sixty": 60,
    "ninety": 90,
    "a quarter of an hour": 15,
    "quarter of an hour": 15,
    "quarter hour": 15,
    "half an hour": 30,
    "half hour": 30,
    "an hour": 60,
    "one hour": 60,
    "a hour": 60,
    "hour": 60,
    "an hour and a half": 90,
    "two hours": 120,
    "couple of hours": 120,
    "three hours": 180,
    "four hours": 240,
}
_DIGITS = re.compile(r"(\d{1,3})\s*(h|hr|hrs|hour|hours|m|min|mins|minute|minutes)?\b")


def wants_checkin(text: str) -> bool:
    """ "Check on me in 15 minutes", "can you do a check in": a check-in asked for in words."""
    return bool(_ASKS_FOR_CHECKIN.search(comparable(text)))


def stopping(text: str) -> bool:
    return comparable(text) in STOP_WORDS


def parse_minutes(text: str) -> int | None:
    """ "15", "20 mins", "half an hour", "in 2 hours" -> minutes, if 5 to 240; else None."""
    cleaned = comparable(text)
    match = _DIGITS.search(cleaned)
    if match:
        number, unit = int(match.group(1)), match.group(2) or ""
        minutes = number * 60 if unit.startswith("h") else number
    else:
        found = [w for w in _NUMBER_WORDS if re.search(rf"\b{w}\b", cleaned)]
        if not found:
            return None
        # The longest phrase found says the most ("an hour and a half", not "an hour").
        minutes = _NUMBER_WORDS[max(found, key=len)]
    return minutes if MIN_MINUTES <= minutes <= MAX_MINUTES else None


def parse_notify(text: str) -> str | None:
    """A button payload ("worker"/"contact") or words that clearly say which."""
    cleaned = comparable(text)
    if cleaned in (WORKER, CONTACT):
        return cleaned
    if any(w in cleaned for w in ("contact", "pal", "friend", "mate", "trusted", "my person")):
        return CONTACT
    if any(w in cleaned for w in ("worker", "duty", "staff", "service", "you")):
        return WORKER
    return None
