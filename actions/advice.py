"""Answers a topic from its advice file, with current drug alerts about what was named."""

from __future__ import annotations

from rasa_sdk import Tracker

from actions.common import ContentAction, latest_intent
from actions.couse import substance_mentions
from blether.answers import answer_for
from blether.replies import Answer, menu_answer
from blether.topics import ADVICE_TOPICS


class ActionAnswerTopic(ContentAction):
    def name(self) -> str:
        return "action_answer_topic"

    def answer(self, tracker: Tracker) -> Answer:
        topic_id = latest_intent(tracker)
        if topic_id not in ADVICE_TOPICS:
            return menu_answer(self.library)
        message = tracker.latest_message or {}
        mentions = substance_mentions(self.library, message.get("entities") or [])
        return answer_for(self.library, topic_id, mentions, str(message.get("text") or ""))
