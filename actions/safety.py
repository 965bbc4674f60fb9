"""The emergency card and crisis support: fixed topics, whatever led here."""

from __future__ import annotations

from rasa_sdk import Tracker

from actions.common import ContentAction
from blether.replies import Answer, topic_answer


class ActionEmergency(ContentAction):
    def name(self) -> str:
        return "action_emergency"

    def answer(self, tracker: Tracker) -> Answer:
        return topic_answer(self.library, "emergency_overdose")


class ActionCrisisSupport(ContentAction):
    def name(self) -> str:
        return "action_crisis_support"

    def answer(self, tracker: Tracker) -> Answer:
        return topic_answer(self.library, "crisis_self_harm")
