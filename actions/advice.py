"""Answers a topic from its advice file."""

from __future__ import annotations

from rasa_sdk import Tracker

from actions.common import ContentAction, latest_intent
from blether.replies import Answer, menu_answer, topic_answer
from blether.topics import ADVICE_TOPICS


class ActionAnswerTopic(ContentAction):
    def name(self) -> str:
        return "action_answer_topic"

    def answer(self, tracker: Tracker) -> Answer:
        topic_id = latest_intent(tracker)
        if topic_id not in ADVICE_TOPICS:
            return menu_answer(self.library)
        return topic_answer(self.library, topic_id)
