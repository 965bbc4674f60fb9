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
from blether.roster import Choice, pick_worker
from blether.sealing import seal, unseal
from blether.workers import candidates, chat_of

logger = logging.getLogger("blether.handoff")
ACCEPT, DECLINE, END = "ref:accept:", "ref:decline:", "ref:end:"
# "Did that help?" after a handoff: fb:<referral id>:<helped|some|no>.
FEEDBACK = "fb:"
ALL_BUSY = "all workers busy"  # the audit note of telling a waiting person so
URGENCY_ORDER = {urgency: rank for rank, urgency in enumerate(referrals.URGENCIES)}


class Answer(Enum):
    ACCEPTED = "accepted"
    DECLINED = "declined"
    REFUSED = "refused"  # not this worker's offer, or no longer on offer


@dataclass(frozen=True)
class Flow:
    """What the machine needs to know: texts, workers, the sealing key, the offer timings."""

    texts: ReferralFile
    workers: dict[str, Worker]
    key: bytes
    offer_timeout: dt.timedelta
    # An offer left this long is sent again, once, to the same worker (None: never).
    offer_remind: dt.timedelta | None = None

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

    def _chat_of(self, worker_id: str | None) -> int | None:
        worker = self.workers.get(worker_id or "")
        return chat_of(worker) if worker else None

    def _full(self, loads: dict[str, int]) -> frozenset[str]:
        """Workers holding as many chats and offers as they take (`max_active`)."""
        return frozenset(w.id for w in self.workers.values() if loads.get(w.id, 0) >= w.max_active)

    # ---- offering -------------------------------------------------------------------
    def offer_waiting(self, session: Session, now: dt.datetime) -> int:
        """Remind, then expire, unanswered offers; offer new referrals to workers on duty
        with room (or to the next worker with room). Returns the moves made."""
        moves = 0
        for referral in referrals.with_status(session, referrals.OFFERED):
            waited = now - referral.offered_at if referral.offered_at else dt.timedelta(0)
            if waited >= self.offer_timeout:
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
            elif (
                self.offer_remind is not None
                and waited >= self.offer_remind
                and referral.reminded_at is None
                and referrals.mark_reminded(session, referral.id, now)
            ):
                reminder = fill(self.texts.worker_reminder, id=referral.id)
                text, buttons = self._offer(referral)
                chat = self._chat_of(referral.worker_id)
                self._owe(session, chat, f"{reminder}\n\n{text}", now, referral.id, buttons)
                logger.info("referral %d reminded", referral.id)
                moves += 1
        loads = referrals.load_by_worker(session)
        waiting = referrals.with_status(session, referrals.NEW)
        # Today's requests before this week's, then first come first served.
        waiting.sort(key=lambda r: (URGENCY_ORDER.get(r.urgency, len(URGENCY_ORDER)), r.id))
        for referral in waiting:
            worker = self.workers.get(referral.worker_id or "")
            if worker is None or chat_of(worker) is None or not self._on_duty(worker, now):
                continue
            if loads.get(worker.id, 0) >= worker.max_active:
                # Past their limit: the next worker on duty with room, or it waits for them.
                with_room = self._with_room(session, referral, now, loads)
                if with_room is None:
                    moves += self._tell_all_busy(session, referral, now)
                    continue
                worker = with_room
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
            loads[worker.id] = loads.get(worker.id, 0) + 1
            text, buttons = self._offer(offered)
            self._owe(session, chat_of(worker), text, now, referral.id, buttons)
            logger.info("referral %d offered", referral.id)
            moves += 1
        return moves

    def _tell_all_busy(self, session: Session, referral: Referral, now: dt.datetime) -> int:
        """Once a referral has waited an offer's time for a worker with room, the person hears
        that everyone is busy, with the helplines (once; it keeps waiting)."""
        events = referrals.history(session, referral.id)
        if any(note == ALL_BUSY for _, _, _, _, note in events):
            return 0
        if not events or now - events[-1][0] < self.offer_timeout:
            return 0
        told = referrals.change(
            session, referral.id, referrals.NEW, now, note=ALL_BUSY, expect=referrals.NEW
        )
        if told is None:
            return 0
        self._owe(session, self._person_chat(told), self.texts.all_busy, now, referral.id)
        return 1

    def _offer(self, referral: Referral) -> tuple[str, tuple[tuple[str, str], ...]]:
        text = fill(
            self.texts.worker_offer,
            id=referral.id,
            area=referral.area,
            urgency=referral.urgency.replace("_", " "),
            topic=self.texts.label(referral.topic),
            help=referral.help_text or "-",
        )
        buttons = (
            (self.texts.worker_accept, f"{ACCEPT}{referral.id}"),
            (self.texts.worker_decline, f"{DECLINE}{referral.id}"),
        )
        return text, buttons

    @staticmethod
    def _on_duty(worker: Worker, now: dt.datetime) -> bool:
        return candidates([worker])[0].rota.on_duty(now)

    def _choose(
        self, session: Session, referral: Referral, now: dt.datetime, exclude: frozenset[str]
    ) -> Choice | None:
        reachable = [w for w in self.workers.values() if chat_of(w) is not None]
        return pick_worker(
            candidates(reachable), referral.area, now, referrals.last_offered(session), exclude
        )

    def _with_room(
        self, session: Session, referral: Referral, now: dt.datetime, loads: dict[str, int]
    ) -> Worker | None:
        tried = referrals.tried_workers(session, referral.id)
        choice = self._choose(session, referral, now, tried | self._full(loads))
        if choice is None or not choice.on_duty:
            return None
        moved = referrals.change(
            session,
            referral.id,
            referrals.NEW,
            now,
            worker_id=choice.worker_id,
            note="worker at their limit",
            expect=referrals.NEW,
        )
        return self.workers[choice.worker_id] if moved is not None else None

    def _next_worker(
        self, session: Session, referral: Referral, now: dt.datetime, expired: bool
    ) -> None:
        tried = referrals.tried_workers(session, referral.id)
        full = self._full(referrals.load_by_worker(session))
        # Someone on duty with room first; else someone on duty who is full (it waits for
        # them to end a chat) rather than telling the person nobody is there.
        choice = self._choose(session, referral, now, tried | full)
        if choice is None or not choice.on_duty:
            choice = self._choose(session, referral, now, tried)
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
        if (
            worker is not None
            and referral is not None
            and (
                referral.status in referrals.FINISHED
                or (
                    referral.worker_id != worker.id
                    and worker.id in referrals.tried_workers(session, referral.id)
                )
            )
        ):
            # Their own offer, since taken elsewhere or closed: say so, not "not yours".
            self._owe(session, chat, fill(self.texts.offer_gone, id=referral.id), now, None)
            return Answer.REFUSED
        if worker is None or referral is None or referral.worker_id != worker.id:
            self._owe(session, chat, self.texts.not_your_referral, now, None)
            return Answer.REFUSED
        if referral.status == referrals.ACCEPTED:
            already = fill(self.texts.worker_already_in, id=referral.id)
            self._owe(session, chat, already, now, None)
            return Answer.REFUSED
        held = referrals.accepted_by(session, worker.id) if accept else []
        if len(held) >= worker.max_active and referral.status == referrals.OFFERED:
            # At their limit (lowered since the offer, or a staff reassign): pass it on.
            back = referrals.change(
                session,
                referral.id,
                referrals.NEW,
                now,
                note="worker at their limit",
                expect=referrals.OFFERED,
            )
            full = fill(self.texts.worker_full, count=len(held), id=referral.id)
            self._owe(session, chat, full, now, None)
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
        referral_id: int | None = None,
        forgotten: bool = False,
    ) -> bool:
        """/end (or End chat on `referral_id`) from a worker, /bot from the person; False if
        there was nothing of theirs to end. The worker's /end ends the chat they talk in.
        `forgotten`: the person is erasing everything (/forget): only the worker is told."""
        referral: Referral | None = None
        held: list[Referral] = []  # the assigned worker's chats, the current one first
        if worker is not None:
            held = referrals.accepted_by(session, worker.id)
            wanted = [r for r in held if referral_id in (None, r.id)]
            referral = wanted[0] if wanted else None
        elif person is not None:
            referral = referrals.active_for_person(session, person)
            if referral is not None:
                held = referrals.accepted_by(session, referral.worker_id or "")
        if referral is None:
            return False
        person_chat = self._person_chat(referral)  # before closing clears the contact
        closed = referrals.change(
            session,
            referral.id,
            referrals.CLOSED,
            now,
            note="ended by worker" if worker else "ended by person",  # (also on /forget)
            expect=referrals.ACCEPTED,
        )
        if closed is None:
            return False
        assigned = self.workers.get(referral.worker_id or "")
        name = assigned.name if assigned else "The worker"
        worker_chat = self._chat_of(referral.worker_id)
        # Messages to the worker outlive an erased referral: not tied to it when forgotten.
        owner = None if forgotten else referral.id
        if worker is not None:
            self._owe(
                session, chat, fill(self.texts.ended_for_worker, id=referral.id), now, referral.id
            )
            self._owe(
                session, person_chat, fill(self.texts.ended_by_worker, name=name), now, referral.id
            )
        else:
            if not forgotten:
                ended_for_person = fill(self.texts.ended_for_person, name=name)
                self._owe(session, chat, ended_for_person, now, referral.id)
            ended = fill(self.texts.ended_by_person, id=referral.id)
            self._owe(session, worker_chat, ended, now, owner)
        # Whoever ended it, the worker must know where their next message goes.
        others = [r for r in held if r.id != referral.id]
        if others and held[0].id == referral.id:
            now_on = fill(self.texts.worker_focus_now, id=others[0].id)
            self._owe(session, worker_chat, now_on, now, owner)
        if forgotten:
            logger.info("handoff %d ended (the person erased their data)", referral.id)
            return True
        self._owe(
            session,
            person_chat,
            self.texts.feedback_question,
            now,
            referral.id,
            tuple(
                (title, f"{FEEDBACK}{referral.id}:{answer}")
                for title, answer in (
                    (self.texts.feedback_helped, "helped"),
                    (self.texts.feedback_some, "some"),
                    (self.texts.feedback_no, "no"),
                )
            ),
        )
        logger.info("handoff %d ended", referral.id)
        return True
