"""Co-use answers that name the person's own substances."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from rasa_sdk import Tracker

from actions.common import ContentAction, latest_intent
from blether.answers import with_alerts
from blether.content import ContentLibrary
from blether.couse import COUSE_TOPICS, MORE_ENTITY, couse_answer, more_answer
from blether.mentions import Mention
from blether.replies import Answer


def mentions_from_entities(
    entities: list[dict[str, Any]], classes: Mapping[str, str]
) -> list[Mention]:
    """Rebuild lexicon mentions from the `substance` entities Rasa passed along."""
    mentions = []
    for entity in entities:
        value = entity.get("value")
        # A typed "/couse_opioids{...}" can carry any JSON: only known names are kept.
        if (
            entity.get("entity") != "substance"
            or not isinstance(value, str)
            or value not in classes
        ):
            continue
        info = entity.get("additional_info") or {}
        mentions.append(
            Mention(
                text=str(info.get("said") or entity["value"]),
                name=entity["value"],
                substance_class=classes[entity["value"]],
                start=int(entity.get("start", -1)),
                end=int(entity.get("end", -1)),
                fuzzy=bool(info.get("fuzzy", False)),
            )
        )
    return mentions


def substance_mentions(library: ContentLibrary, entities: list[dict[str, Any]]) -> list[Mention]:
    classes = {s.name: s.substance_class for s in library.substances().substances}
    return mentions_from_entities(entities, classes)


def _entities(event: Mapping[str, Any]) -> list[dict[str, Any]]:
    return list((event.get("parse_data") or {}).get("entities") or [])


def asked_about(tracker: Tracker) -> list[dict[str, Any]]:
    """The entities of the latest message that named substances, for "show the other mixes".

    The button carries no substances (they would not fit in Telegram's 64 bytes), so they are
    read back from the question it answered; taps of the button itself are passed over.
    """
    for event in reversed(tracker.events or []):
        if event.get("event") != "user":
            continue
        entities = _entities(event)
        if any(e.get("entity") == MORE_ENTITY for e in entities):
            continue
        if any(e.get("entity") == "substance" for e in entities):
            return entities
    return []


class ActionAnswerCouse(ContentAction):
    def name(self) -> str:
        return "action_answer_couse"

    def answer(self, tracker: Tracker) -> Answer:
        topic_id = latest_intent(tracker)
        if topic_id not in COUSE_TOPICS:
            topic_id = "couse_opioids"
        entities = (tracker.latest_message or {}).get("entities") or []
        if any(e.get("entity") == MORE_ENTITY for e in entities):
            return more_answer(
                self.library, topic_id, substance_mentions(self.library, asked_about(tracker))
            )
        mentions = substance_mentions(self.library, entities)
        answer = couse_answer(self.library, topic_id, mentions)
        return with_alerts(self.library, answer, mentions, dt.date.today())
