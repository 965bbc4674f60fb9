"""Co-use answers that name the person's own substances."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rasa_sdk import Tracker

from actions.common import ContentAction, latest_intent
from blether.couse import couse_answer
from blether.mentions import Mention
from blether.replies import Answer

COUSE_TOPICS = ("couse_opioids", "couse_alcohol", "couse_gabapentinoids", "couse_stimulants")


def mentions_from_entities(
    entities: list[dict[str, Any]], classes: Mapping[str, str]
) -> list[Mention]:
    """Rebuild lexicon mentions from the `substance` entities Rasa passed along."""
    mentions = []
    for entity in entities:
        if entity.get("entity") != "substance" or entity.get("value") not in classes:
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


class ActionAnswerCouse(ContentAction):
    def name(self) -> str:
        return "action_answer_couse"

    def answer(self, tracker: Tracker) -> Answer:
        topic_id = latest_intent(tracker)
        if topic_id not in COUSE_TOPICS:
            topic_id = "couse_opioids"
        classes = {s.name: s.substance_class for s in self.library.substances().substances}
        entities = (tracker.latest_message or {}).get("entities") or []
        return couse_answer(self.library, topic_id, mentions_from_entities(entities, classes))
