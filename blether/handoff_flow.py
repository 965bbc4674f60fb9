"""The handoff as a state machine: offers, answers, ends. No Telegram, no waiting.

Each function is one unit of work in the caller's `with Session.begin()`: it moves referrals
on with conditional updates (blether.referrals.change) and records in the outbox the messages
each move owes. The bridge sends them after the commit, so a failed send can never undo a
move whose messages already went, and no transaction is held while Telegram is slow.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from enum import Enum

from sqlalchemy.orm import Session

from blether import outbox, referrals
from blether.content.models import ReferralFile, Worker, fill
from blether.referrals import Referral
from blether.roster import pick_worker
from blether.sealing import seal, unseal
from blether.workers import candidates, chat_of

logger = logging.getLogger("blether.handoff")
ACCEPT, DECLINE, END = "ref:accept:", "ref:decline:", "ref:end:"


class Answer(Enum):
    ACCEPTED = "accepted"
    DECLINED = "declined"
    REFUSED = "refused"  # not this worker's offer, or no longer on offer


@dataclass(frozen=True)
class Flow:
    """What the machine needs to know: texts, workers, the sealing key, the offer timeout."""

    texts: ReferralFile
    workers: dict[str, Worker]
    key: bytes
    offer_timeout: dt.timedelta

    def _owe(
        self,
        session: Session,
        chat: int | None,
        text: str,
        now: dt.datetime,
        referral_id: int | None,
        buttons: tuple[tuple[str, str], ...] = (),
    ) -> None:
        if chat is not None:
            outbox.add(
                session, outbox.Message(seal(self.key, chat), text, buttons), now, referral_id
            )

    def _person_chat(self, referral: Referral) -> int | None:
        return unseal(self.key, referral.contact) if referral.contact else None

    # ---- offering -------------------------------------------------------------------
    def offer_waiting(self, session: Session, now: dt.datetime) -> int:
        """Expire unanswered offers, then offer new referrals to workers on duty; moves made."""
        moves = 0
        for referral in referrals.with_status(session, referrals.OFFERED):
            if referral.offered_at and now - referral.offered_at >= self.offer_timeout:
                back = referrals.change(
                    session,
                    referral.id,
                    referrals.NEW,
                    now,
                    note="no answer in time",
                    expect=referrals.OFFERED,
                )
                if back is not None:
                    # An offer Telegram never took (a blocked chat) must not arrive later.
                    outbox.drop_unsent(session, referral.id, ACCEPT)
                    self._next_worker(session, back, now, expired=True)
                    moves += 1
        for referral in referrals.with_status(session, referrals.NEW):
            worker = self.workers.get(referral.worker_id or "")
            chat = chat_of(worker) if worker else None
            if worker is None or chat is None or not candidates([worker])[0].rota.on_duty(now):
                continue
            if referrals.active_for_worker(session, worker.id) is not None:
                continue  # in a chat already: offered when it ends (or after it times out)
            offered = referrals.change(
                session,
                referral.id,
                referrals.OFFERED,
                now,
                worker_id=worker.id,
                note="offered",
                expect=referrals.NEW,
            )
            if offered is None:
                continue  # moved by someone else since it was read
            text = fill(
                self.texts.worker_offer,
                id=referral.id,
                area=referral.area,
                urgency=referral.urgency.replace("_", " "),
                topic=referral.topic,
                help=referral.help_text or "-",
            )
            buttons = (
                (self.texts.worker_accept, f"{ACCEPT}{referral.id}"),
                (self.texts.worker_decline, f"{DECLINE}{referral.id}"),
            )
            self._owe(session, chat, text, now, referral.id, buttons)
            logger.info("referral %d offered", referral.id)
            moves += 1
        return moves

    def _next_worker(
        self, session: Session, referral: Referral, now: dt.datetime, expired: bool
    ) -> None:
        tried = referrals.tried_workers(session, referral.id)
        choice = pick_worker(
            candidates(list(self.workers.values())),
            referral.area,
            now,
            referrals.last_offered(session),
            exclude=tried,
        )
        person = self._person_chat(referral)
        if choice is None or not choice.on_duty:
            final = referrals.EXPIRED if expired else referrals.DECLINED
            referrals.change(
                session,
                referral.id,
                final,
                now,
                note="no other worker on duty",
                expect=referrals.NEW,
            )
            self._owe(session, person, self.texts.nobody_free, now, referral.id)
            return
        referrals.change(
            session,
            referral.id,
            referrals.NEW,
            now,
            worker_id=choice.worker_id,
            note="next worker",
            expect=referrals.NEW,
        )
        self._owe(session, person, self.texts.taking_longer, now, referral.id)

    # ---- the worker's answer ----------------------------------------------------------
    def answer_offer(
        self, session: Session, worker: Worker | None, chat: int, data: str, now: dt.datetime
    ) -> Answer:
        accept = data.startswith(ACCEPT)
        try:
            referral_id = int(data.removeprefix(ACCEPT if accept else DECLINE))
        except ValueError:
            referral_id = -1
        referral = referrals.get(session, referral_id) if referral_id > 0 else None
        if worker is None or referral is None or referral.worker_id != worker.id:
            self._owe(session, chat, self.texts.not_your_referral, now, None)
            return Answer.REFUSED
        busy = referrals.active_for_worker(session, worker.id) if accept else None
        if busy is not None and busy.id != referral.id and referral.status == referrals.OFFERED:
            # Replies go to one person at a time: this one goes to someone else.
            back = referrals.change(
                session,
                referral.id,
                referrals.NEW,
                now,
                note="worker busy",
                expect=referrals.OFFERED,
            )
            self._owe(session, chat, self.texts.worker_busy, now, None)
            if back is not None:
                self._next_worker(session, back, now, expired=False)
            return Answer.REFUSED
        if not accept:
            back = referrals.change(
                session, referral.id, referrals.NEW, now, note="declined", expect=referrals.OFFERED
            )
            if back is None:
                self._owe(session, chat, self.texts.not_your_referral, now, None)
                return Answer.REFUSED
            self._next_worker(session, back, now, expired=False)
            return Answer.DECLINED
        accepted = referrals.change(
            session, referral.id, referrals.ACCEPTED, now, note="accepted", expect=referrals.OFFERED
        )
        if accepted is None:
            self._owe(session, chat, self.texts.not_your_referral, now, None)
            return Answer.REFUSED
        end_button = ((self.texts.worker_end, f"{END}{referral.id}"),)
        joined = fill(self.texts.worker_joined, id=referral.id)
        self._owe(session, chat, joined, now, referral.id, end_button)
        person = fill(self.texts.person_joined, name=worker.name)
        self._owe(session, self._person_chat(accepted), person, now, referral.id)
        logger.info("referral %d accepted; handoff started", referral.id)
        return Answer.ACCEPTED

    # ---- ending ----------------------------------------------------------------------
    def end(
        self,
        session: Session,
        chat: int,
        worker: Worker | None,
        person: str | None,
        now: dt.datetime,
    ) -> bool:
        """/end from a worker or /bot from the person; False if there was nothing to end."""
        if worker is not None:
            referral = referrals.active_for_worker(session, worker.id)
        elif person is not None:
            referral = referrals.active_for_person(session, person)
        else:
            referral = None
        if referral is None:
            return False
        person_chat = self._person_chat(referral)  # before closing clears the contact
        closed = referrals.change(
            session,
            referral.id,
            referrals.CLOSED,
            now,
            note="ended by worker" if worker else "ended by person",
            expect=referrals.ACCEPTED,
        )
        if closed is None:
            return False
        assigned = self.workers.get(referral.worker_id or "")
        name = assigned.name if assigned else "The worker"
        if worker is not None:
            self._owe(
                session, chat, fill(self.texts.ended_for_worker, id=referral.id), now, referral.id
            )
            self._owe(
                session, person_chat, fill(self.texts.ended_by_worker, name=name), now, referral.id
            )
        else:
            self._owe(session, chat, fill(self.texts.ended_for_person, name=name), now, referral.id)
            worker_chat = chat_of(assigned) if assigned else None
            ended = fill(self.texts.ended_by_person, id=referral.id)
            self._owe(session, worker_chat, ended, now, referral.id)
        logger.info("handoff %d ended", referral.id)
        return True
