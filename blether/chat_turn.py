"""One console turn as the Telegram bridge takes it: safety net first, then Rasa.

The order is the bridge's (blether/bridge/conversation.py `converse`): the whole message goes
through the safety net; a match gets its card at once and Rasa is told the topic as a payload
(its copy of the card is not shown twice); a long message is cut for the model with the
bridge's note; when Rasa fails, the bridge's own texts. What the bridge alone does (handoffs,
check-in timers, its own buttons) needs Telegram and is named, not done.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

import httpx

from blether.bridge.delivery import from_rasa, instructions_from
from blether.chat_working import Working, working_from
from blether.content import ContentError, ContentLibrary
from blether.rasa_client import RasaClient, RasaLostTrack, RasaUnavailable
from blether.replies import CONTENT_UNAVAILABLE, Reply, topic_answer
from blether.safety import SafetyMatch, SafetyNetSource
from blether.turn_plan import plan_turn


def new_sender() -> str:
    """A fresh conversation id shaped like the bridge's pseudonyms ("tg-" + 32 hex digits),
    with its own prefix so that a console conversation is never taken for a person's."""
    return f"chat-{secrets.token_hex(16)}"


@dataclass
class Turn:
    replies: list[Reply]  # what Telegram would show, in order
    notes: list[str] = field(default_factory=list)  # what the console adds (failures, limits)
    working: Working | None = None


class Conversation:
    """One console conversation with a Rasa server; `restart` begins another."""

    def __init__(
        self,
        rasa: RasaClient,
        http: httpx.AsyncClient,
        api_url: str,
        library: ContentLibrary,
        max_message_chars: int,
    ) -> None:
        self._rasa = rasa
        self._http = http
        self._api_url = api_url
        self._library = library
        self._net = SafetyNetSource(library)
        self._max_chars = max_message_chars
        self.sender = new_sender()

    def restart(self) -> None:
        self.sender = new_sender()

    def _card(self, topic: str) -> list[Reply]:
        try:
            return topic_answer(self._library, topic).replies
        except ContentError:
            return [Reply(CONTENT_UNAVAILABLE)]

    def _say(self, name: str) -> str:
        try:
            return str(getattr(self._library.bridge(), name))
        except ContentError:
            return CONTENT_UNAVAILABLE

    async def take(self, text: str, with_working: bool = True) -> Turn:
        plan = plan_turn(self._net.get(), text, self._max_chars)
        card = self._card(plan.match.topic) if plan.match else []
        lead = [Reply(self._say("too_long"))] if plan.cut else []
        replies, notes = await self._ask_rasa(plan.for_rasa, answered=plan.match is not None)
        shown = {reply.text for reply in card}
        turn = Turn(card + lead + [r for r in replies if r.text not in shown], notes)
        if with_working:
            turn.working = await self._working(plan.match, turn.notes)
        return turn

    async def _ask_rasa(self, text: str, answered: bool) -> tuple[list[Reply], list[str]]:
        try:
            raw = await self._rasa.send(self.sender, text)
        except RasaLostTrack:
            note = "Rasa closed the request: it could not keep the conversation (see its log)"
            return [Reply(self._say("lost_track"))], [note]
        except RasaUnavailable as error:
            note = f"Rasa did not answer ({error}): the bridge's own answer (see its log)"
            return ([] if answered else [Reply(self._say("unavailable"))]), [note]
        replies = [r for r in (from_rasa(m) for m in raw) if r is not None]
        notes = [
            f"Rasa asks the Telegram bridge to start a {name}: {_details(details)}"
            " (only the bridge can; not in the console)"
            for name, asked in instructions_from(raw).items()
            for details in asked
        ]
        if not replies and not notes:
            return ([] if answered else [Reply(self._say("unavailable"))]), ["Rasa sent nothing"]
        return replies, notes

    def _rule_examples(self) -> dict[str, str]:
        """Each safety rule's first example, by its pattern (rules are read as raw text)."""
        try:
            rules = self._library.safety()
        except ContentError:
            return {}
        groups = (rules.emergency_overdose, rules.crisis_self_harm)
        return {r.pattern: r.examples[0] for g in groups for r in (*g.patterns, *g.not_if)}

    async def _working(self, match: SafetyMatch | None, notes: list[str]) -> Working | None:
        """Rasa's tracker for this conversation (needs `rasa run --enable-api`)."""
        url = f"{self._api_url}/conversations/{self.sender}/tracker"
        try:
            response = await self._http.get(url)
            response.raise_for_status()
            return working_from(response.json(), match, self._rule_examples())
        except (httpx.HTTPError, ValueError) as error:
            notes.append(f"could not read Rasa's tracker for the working ({type(error).__name__})")
            return None


def _details(details: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v}" for k, v in details.items())
