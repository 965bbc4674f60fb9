"""What the bridge decides for each person: pass to Rasa, answer itself, or hold back."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import sessionmaker
from telegram import Bot
from telegram.error import TelegramError

from blether import broadcasts, checkins, contacts, inbox, referrals
from blether.bridge.alerts import AlertDesk
from blether.bridge.checkin import Checkins
from blether.bridge.delivery import from_rasa, instructions_from, send_replies, typing
from blether.bridge.handoff import Handoff
from blether.content import ContentError, ContentLibrary
from blether.content.models import Worker, fill
from blether.danger import DANGER_MODEL, DangerModelSource, ReadAlone
from blether.erasure import erase_conversation
from blether.flood import FloodGate
from blether.pseudonym import pseudonym
from blether.rasa_client import RasaClient, RasaLostTrack, RasaUnavailable
from blether.replies import CONTENT_UNAVAILABLE, Reply, menu_answer, topic_answer
from blether.safety import SafetyMatch, SafetyNet, SafetyNetSource
from blether.sealing import seal
from blether.topics import ADVICE_TOPICS
from blether.turn_plan import TELEGRAM_MAX_CHARS, plan_turn

logger = logging.getLogger("blether.bridge")


@dataclass
class Bridge:
    """Everything the handlers need, built once by build_application."""

    rasa: RasaClient
    library: ContentLibrary
    flood: FloodGate
    pseudonym_key: bytes
    tracker_sessions: sessionmaker
    max_message_chars: int
    handoff: Handoff
    checkins: Checkins
    alerts: AlertDesk
    long_payloads: dict[str, str] = field(default_factory=dict)
    # The danger model (blether/danger.py) for where Rasa does not read the message; None: the
    # rules alone.
    danger_model: DangerModelSource | None = None
    danger_above: float = 0.55
    # One turn at a time per person is kept by the update processor (bridge/ordering.py).

    _net: SafetyNetSource = field(init=False)
    _alone: ReadAlone = field(init=False)

    def __post_init__(self) -> None:
        # The same rules and normaliser as inside Rasa: content/safety.yml and language.yml.
        self._net = SafetyNetSource(self.library)
        self._alone = ReadAlone(self._net, self.danger_model, self.danger_above)

    def person(self, telegram_user_id: int) -> str:
        return pseudonym(self.pseudonym_key, telegram_user_id)

    async def send(self, bot: Bot, chat_id: int, replies: list[Reply]) -> None:
        await send_replies(bot, chat_id, replies, self.long_payloads)

    def card(self, topic_id: str) -> list[Reply]:
        try:
            return topic_answer(self.library, topic_id).replies
        except ContentError:
            return [Reply(CONTENT_UNAVAILABLE)]

    def menu(self, lead: str | None = None) -> list[Reply]:
        try:
            return menu_answer(self.library, lead).replies
        except ContentError:
            return [Reply(lead)] if lead else []

    def say(self, name: str) -> str:
        """One of the bridge's own texts; the safety numbers if content is unavailable."""
        try:
            return str(getattr(self.library.bridge(), name))
        except ContentError:
            return CONTENT_UNAVAILABLE

    def offline_answer(self, text: str, instead: list[Reply] | None = None) -> list[Reply]:
        """When Rasa cannot answer: the rules and the danger model still pick out an emergency
        or a crisis."""
        match = self.read_alone(text)
        if match is not None:
            return self.card(match.topic) + (instead or [])
        return instead or [Reply(self.say("unavailable"))]

    def safety_net(self) -> SafetyNet:
        return self._net.get()

    def read_alone(self, text: str, rules_passed: bool = False) -> SafetyMatch | None:
        """Danger read without Rasa: the rules, then the danger model (blether/danger.py);
        `rules_passed` when the rules have read this text already and found nothing."""
        text = text[:TELEGRAM_MAX_CHARS]
        match = self._alone.beyond_rules(text) if rules_passed else self._alone.read(text)
        if match is not None and match.pattern == DANGER_MODEL:
            logger.info("danger model read %s where no rule matched", match.topic)
        return match

    def worker_at(self, chat_id: int) -> Worker | None:
        """The listed worker at this chat; None (and logged) if services.yml cannot be read."""
        try:
            return self.handoff.worker_at(chat_id)
        except ContentError:
            logger.error("services.yml unavailable: every chat is treated as a person's")
            return None

    async def tell_worker_if_in_chat(
        self, bot: Bot, person: str, template: str
    ) -> referrals.Referral | None:
        """In a live chat, a note to the worker (one of referral.yml's texts, by name); the
        chat, or None when the person is not in one."""
        try:
            referral = await self.handoff.active_for_person(person)
            if referral is not None:
                texts = self.library.referral()
                await self.handoff.tell_worker(bot, referral, str(getattr(texts, template)))
            return referral
        except (SQLAlchemyError, TelegramError, ContentError) as error:
            logger.warning("could not tell the worker (%s)", type(error).__name__)
            return None

    async def card_if_danger(self, bot: Bot, chat_id: int, text: str) -> bool:
        """The card, at once, if the rules or the danger model read danger (Rasa is not asked:
        a flood held back, the words after a command); whether they did."""
        match, _ = await self._send_card_if_danger(bot, chat_id, text)
        return match is not None

    async def _send_card_if_danger(
        self, bot: Bot, chat_id: int, text: str
    ) -> tuple[SafetyMatch | None, set[str]]:
        """What the safety net read in `text`, and the texts of the card sent for it."""
        return await self._send_card(bot, chat_id, self.read_alone(text))

    async def _send_card(
        self, bot: Bot, chat_id: int, match: SafetyMatch | None
    ) -> tuple[SafetyMatch | None, set[str]]:
        if match is None:
            return None, set()
        card = self.card(match.topic)
        await self.send(bot, chat_id, card)
        logger.info("safety net matched (%s); card sent first", match.topic)
        return match, {reply.text for reply in card}

    async def converse(self, bot: Bot, chat_id: int, person: str, text: str) -> None:
        """To the worker during a handoff; otherwise safety first, then Rasa.

        The whole message goes through the safety net before anything else (turn_plan.py).
        A match is answered here at once, whatever Rasa is doing; Rasa is then told the topic
        (so that a referral in progress or a follow-up offer stays right) and its copy of the
        card is not sent twice. Only after that is a long message cut for the model.
        """
        started = time.monotonic()
        plan = plan_turn(self.safety_net(), text, self.max_message_chars)
        text = plan.text
        # Before anything that can fail or wait (the database, the worker's chat, Rasa).
        match, sent_already = await self._send_card(bot, chat_id, plan.match)
        # A check-in's note, or an answer to "Are you OK?" (danger is not an answer: the
        # check goes on, so that someone is still told if they then stop answering).
        if match is None and await self._checkin_took(bot, chat_id, person, text):
            return
        try:
            referral = await self.handoff.active_for_person(person)
        except SQLAlchemyError as error:
            logger.error("could not look up a handoff (%s); asking rasa", type(error).__name__)
            referral = None
        if referral is not None:
            if text.startswith("/"):
                # A button tapped in a live chat (a card's "talk to a person", the menu): not
                # words for the worker. An advice topic is answered; anything else, a reminder.
                await self._button_in_handoff(bot, chat_id, referral, text[1:], sent_already)
                return
            # During a handoff the worker answers (an emergency reaches them marked as one).
            # Rasa does not read these words, so the danger model does (the rules did above).
            if match is None:
                match, _ = await self._send_card(bot, chat_id, self.read_alone(text, True))
            try:
                await self.handoff.relay_to_worker(bot, referral, text, match)
            except TelegramError as error:
                logger.warning("could not reach the worker (%s)", type(error).__name__)
            return
        notes = [self.say("too_long")] if plan.cut else []
        replies, checkins_wanted = await self._ask_rasa(
            bot, chat_id, person, plan.for_rasa, answered=match is not None
        )
        replies = [r for r in replies if r.text not in sent_already]
        if notes or replies:
            await self.send(bot, chat_id, [Reply(n) for n in notes] + replies)
        # The check-in form's last step, after Rasa's own replies have gone.
        for wanted in checkins_wanted:
            await self._start_checkin(bot, chat_id, person, wanted)
        logger.info(
            "message answered in %.2fs with %d replies",
            time.monotonic() - started,
            len(replies) + len(sent_already),
        )

    async def _button_in_handoff(
        self, bot: Bot, chat_id: int, referral: referrals.Referral, topic: str, sent: set[str]
    ) -> None:
        if sent:
            return  # a safety topic: its card went already
        if topic in ADVICE_TOPICS and topic != "request_human":  # they have a person already
            await self.send(bot, chat_id, self.card(topic))
            return
        name = self.handoff.worker_name(referral)
        note = fill(self.library.referral().already_with_worker, name=name)
        await self.send(bot, chat_id, [Reply(note)])

    async def _checkin_took(self, bot: Bot, chat_id: int, person: str, text: str) -> bool:
        async def emergency_card() -> None:
            await self.send(bot, chat_id, self.card("emergency_overdose"))

        try:
            return await self.checkins.on_message(bot, person, text, emergency_card)
        except SQLAlchemyError as error:
            logger.error("could not look up a check-in (%s)", type(error).__name__)
            return False

    async def _ask_rasa(
        self, bot: Bot, chat_id: int, person: str, text: str, answered: bool
    ) -> tuple[list[Reply], list[dict[str, Any]]]:
        """Rasa's replies; when Rasa fails, the bridge's own (nothing more if a card went)."""
        # The sealed chat lets a worker's reply reach this person after a referral is made.
        metadata = {"contact": seal(self.pseudonym_key, chat_id)}
        async with typing(bot, chat_id):
            try:
                raw = await self.rasa.send(person, text, metadata)
                replies = [r for r in (from_rasa(m) for m in raw) if r is not None]
                wanted = instructions_from(raw)
                if not replies and not wanted:
                    raise RasaUnavailable("no reply")
                return replies, wanted.get("checkin", [])
            except RasaLostTrack:
                # The card (if any) went already; nothing of a half-made form is kept.
                logger.warning("rasa could not keep the conversation; said so")
                lost = [Reply(self.say("lost_track"))]
                return (lost if answered else self.offline_answer(text, lost)), []
            except RasaUnavailable as error:
                logger.warning("rasa unavailable (%s); answered by the bridge", error)
                return ([] if answered else self.offline_answer(text)), []

    async def _start_checkin(
        self, bot: Bot, chat_id: int, person: str, wanted: dict[str, Any]
    ) -> None:
        try:
            minutes, notify = int(wanted["minutes"]), str(wanted["notify"])
        except (KeyError, TypeError, ValueError):
            logger.error("rasa asked for a check-in without minutes or notify")
            return
        try:
            await self.checkins.start(bot, chat_id, person, minutes, notify)
        except SQLAlchemyError as error:
            logger.error("could not store a check-in (%s)", type(error).__name__)
            await self.send(bot, chat_id, [Reply(self.say("unavailable"))])

    def forget(self, person: str) -> int:
        """Everything kept about this person: the conversation, referrals, check-ins, trusted
        contacts (theirs, and any link where they are someone's contact), unanswered updates,
        alert subscriptions and who alerts went to."""
        with self.tracker_sessions.begin() as session:
            erased = erase_conversation(session, person)
        with self.handoff.sessions.begin() as session:
            erased += referrals.erase_person(session, person)
            erased += checkins.erase_person(session, person)
            erased += contacts.erase_person(session, person)
            erased += inbox.erase_person(session, person)
            erased += broadcasts.erase_person(session, person)
        return erased
