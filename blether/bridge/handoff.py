"""Live handoff: offering referrals to workers, relaying both ways, ending. State is in the DB."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy.orm import sessionmaker
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

from blether import referrals
from blether.content import ContentLibrary
from blether.content.models import Worker, fill
from blether.referrals import Referral
from blether.roster import pick_worker
from blether.safety import SafetyNet
from blether.sealing import unseal
from blether.splitting import split_message
from blether.workers import candidates, chat_of

logger = logging.getLogger("blether.bridge")
ACCEPT, DECLINE, END = "ref:accept:", "ref:decline:", "ref:end:"


@dataclass
class Handoff:
    library: ContentLibrary
    sessions: sessionmaker
    key: bytes
    offer_timeout: dt.timedelta

    # ---- who is who -----------------------------------------------------------------
    def workers(self) -> dict[str, Worker]:
        return {w.id: w for w in self.library.services().workers}

    def worker_at(self, chat_id: int) -> Worker | None:
        """The listed worker whose Telegram chat this is, if any."""
        return next((w for w in self.workers().values() if chat_of(w) == chat_id), None)

    def person_chat(self, referral: Referral) -> int | None:
        return unseal(self.key, referral.contact) if referral.contact else None

    def active_for_person(self, person: str) -> Referral | None:
        with self.sessions.begin() as session:
            return referrals.active_for_person(session, person)

    # ---- offering -------------------------------------------------------------------
    async def offer_waiting(self, bot: Bot, now: dt.datetime) -> None:
        """Offer new referrals to their worker when on duty; re-offer those left unanswered."""
        texts = self.library.referral()
        workers = self.workers()
        with self.sessions.begin() as session:
            stale = [
                r
                for r in referrals.with_status(session, referrals.OFFERED)
                if r.offered_at and now - r.offered_at >= self.offer_timeout
            ]
            for referral in stale:
                referrals.change(session, referral.id, referrals.NEW, now, note="no answer in time")
                await self._next_worker(bot, session, referral, now, expired=True)
            for referral in referrals.with_status(session, referrals.NEW):
                worker = workers.get(referral.worker_id or "")
                chat = chat_of(worker) if worker else None
                if worker is None or chat is None:
                    continue
                if not candidates([worker])[0].rota.on_duty(now):
                    continue
                keyboard = InlineKeyboardMarkup(
                    [
                        [
                            InlineKeyboardButton(
                                texts.worker_accept, callback_data=f"{ACCEPT}{referral.id}"
                            ),
                            InlineKeyboardButton(
                                texts.worker_decline, callback_data=f"{DECLINE}{referral.id}"
                            ),
                        ]
                    ]
                )
                text = fill(
                    texts.worker_offer,
                    id=referral.id,
                    area=referral.area,
                    urgency=referral.urgency.replace("_", " "),
                    topic=referral.topic,
                    help=referral.help_text or "-",
                )
                await bot.send_message(chat, text, reply_markup=keyboard)
                referrals.change(
                    session,
                    referral.id,
                    referrals.OFFERED,
                    now,
                    worker_id=worker.id,
                    note="offered",
                )
                logger.info("referral %d offered", referral.id)

    async def _next_worker(
        self,
        bot: Bot,
        session,
        referral: Referral,
        now: dt.datetime,  # type: ignore[no-untyped-def]
        expired: bool,
    ) -> None:
        texts = self.library.referral()
        tried = referrals.tried_workers(session, referral.id)
        choice = pick_worker(
            candidates(list(self.workers().values())),
            referral.area,
            now,
            referrals.last_offered(session),
            exclude=tried,
        )
        person = self.person_chat(referral)
        if choice is None or not choice.on_duty:
            final = referrals.EXPIRED if expired else referrals.DECLINED
            referrals.change(session, referral.id, final, now, note="no other worker on duty")
            if person is not None:
                await bot.send_message(person, texts.nobody_free)
            return
        referrals.change(
            session, referral.id, referrals.NEW, now, worker_id=choice.worker_id, note="next worker"
        )
        if person is not None:
            await bot.send_message(person, texts.taking_longer)

    # ---- the worker's buttons and commands ------------------------------------------
    async def answer_offer(self, bot: Bot, chat_id: int, data: str, now: dt.datetime) -> None:
        texts = self.library.referral()
        accept = data.startswith(ACCEPT)
        referral_id = int(data.removeprefix(ACCEPT if accept else DECLINE))
        worker = self.worker_at(chat_id)
        with self.sessions.begin() as session:
            referral = referrals.get(session, referral_id)
            if (
                worker is None
                or referral is None
                or referral.worker_id != worker.id
                or referral.status != referrals.OFFERED
            ):
                logger.warning("refused a referral answer from a chat that may not give it")
                await bot.send_message(chat_id, texts.not_your_referral)
                return
            if not accept:
                referrals.change(session, referral.id, referrals.NEW, now, note="declined")
                await self._next_worker(bot, session, referral, now, expired=False)
                return
            referrals.change(session, referral.id, referrals.ACCEPTED, now, note="accepted")
        logger.info("referral %d accepted; handoff started", referral_id)
        end_button = InlineKeyboardMarkup(
            [[InlineKeyboardButton(texts.worker_end, callback_data=f"{END}{referral_id}")]]
        )
        await bot.send_message(
            chat_id, fill(texts.worker_joined, id=referral_id), reply_markup=end_button
        )
        person = self.person_chat(referral)
        if person is not None:
            await bot.send_message(person, fill(texts.person_joined, name=worker.name))

    async def from_worker(self, bot: Bot, worker: Worker, chat_id: int, text: str) -> None:
        texts = self.library.referral()
        with self.sessions.begin() as session:
            referral = referrals.active_for_worker(session, worker.id)
        person = self.person_chat(referral) if referral else None
        if referral is None or person is None:
            await bot.send_message(chat_id, texts.no_open_chat)
            return
        await bot.send_message(person, fill(texts.from_worker, name=worker.name, text=text))

    async def end(self, bot: Bot, chat_id: int, person: str | None, now: dt.datetime) -> bool:
        """/end from a worker or /bot from the person; False if there was nothing to end."""
        texts = self.library.referral()
        worker = self.worker_at(chat_id) if person is None else None
        with self.sessions.begin() as session:
            if worker is not None:
                referral = referrals.active_for_worker(session, worker.id)
            elif person is not None:
                referral = referrals.active_for_person(session, person)
            else:
                referral = None
            if referral is None:
                return False
            person_chat = self.person_chat(referral)
            referrals.change(
                session,
                referral.id,
                referrals.CLOSED,
                now,
                note="ended by worker" if worker else "ended by person",
            )
        assigned = self.workers().get(referral.worker_id or "")
        name = assigned.name if assigned else "The worker"
        worker_chat = chat_of(assigned) if assigned else None
        if worker is not None:
            await bot.send_message(chat_id, fill(texts.ended_for_worker, id=referral.id))
            if person_chat is not None:
                await bot.send_message(person_chat, fill(texts.ended_by_worker, name=name))
        else:
            await bot.send_message(chat_id, fill(texts.ended_for_person, name=name))
            if worker_chat is not None:
                await bot.send_message(worker_chat, fill(texts.ended_by_person, id=referral.id))
        logger.info("handoff %d ended", referral.id)
        return True

    # ---- the person's messages during a handoff --------------------------------------
    async def relay_to_worker(
        self, bot: Bot, referral: Referral, text: str, net: SafetyNet
    ) -> bool:
        """Copy (never forward) the person's text to the worker. True if it was an emergency."""
        texts = self.library.referral()
        worker = self.workers().get(referral.worker_id or "")
        chat = chat_of(worker) if worker else None
        match = net.check(text)
        emergency = match is not None and match.topic == "emergency_overdose"
        template = texts.emergency_to_worker if emergency else texts.to_worker
        if chat is not None:
            # A long message reaches the worker whole, in pieces under Telegram's limit.
            for piece in split_message(fill(template, id=referral.id, text=text)):
                await bot.send_message(chat, piece)
        return emergency
