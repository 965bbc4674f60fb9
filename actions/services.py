"""Services and people to contact, from content/services.yml."""

from __future__ import annotations

from rasa_sdk import Tracker

from actions.common import ContentAction
from blether.replies import Answer
from blether.services import services_answer


class ActionListServices(ContentAction):
    def name(self) -> str:
        return "action_list_services"

    def answer(self, tracker: Tracker) -> Answer:
        return services_answer(self.library, "find_service")
