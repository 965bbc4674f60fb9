"""A worker's several live chats: which one a message goes to, /list, /switch, saved replies.

No Telegram: each function is a unit of work in the caller's `with Session.begin()` and
returns text for the bridge to send after the commit. A person appears to their worker only
as a referral number ("#12"); nothing here reads or returns who they are.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy.orm import Session

from blether import referrals
from blether.content.models import ReferralFile, Worker, fill
from blether.content.worker_models import WorkerRepliesFile
from blether.referrals import Referral
from blether.roster import LONDON

# The label every relayed message, offer and reminder carries (content check insists on it).
LABEL = re.compile(r"#(\d+)")


@dataclass(frozen=True)
class Route:
    """Where a worker's message goes: `to`, or nowhere because the chat replied to has
    ended (`closed`, its number) or because they hold no chat (both None)."""

    to: Referral | None
    closed: int | None = None
    offered: int | None = None  # the reply was to an offer not accepted yet


def chat_for_message(session: Session, worker_id: str, replied_to: str | None) -> Route:
    """The chat a worker's message goes to: the one whose relayed message they replied to,
    else the one they talk in (accepted or switched to last). A reply to a message of a chat
    that has ended goes nowhere: sent to the current chat, it would reach the wrong person."""
    held = referrals.accepted_by(session, worker_id)
    labelled = [int(n) for n in LABEL.findall(replied_to or "")]
    if labelled:
        for referral in held:
            if referral.id in labelled:
                return Route(referral)
        waiting = referrals.get(session, labelled[0])
        if waiting and waiting.status == referrals.OFFERED and waiting.worker_id == worker_id:
            return Route(None, offered=waiting.id)
        return Route(None, labelled[0])
    return Route(held[0] if held else None)


def first_reply(session: Session, referral: Referral, now: dt.datetime) -> None:
    """Time to first reply, for `blether referrals report`: only the first one counts."""
    if referral.first_reply_at is None:
        referrals.mark_first_reply(session, referral.id, now)


def chat_list(session: Session, texts: ReferralFile, worker_id: str) -> str:
    """Their open chats (the current one marked, each since it was accepted) and the offers
    waiting for their answer, which count against their limit too."""
    held = referrals.accepted_by(session, worker_id)
    offered = [
        r for r in referrals.with_status(session, referrals.OFFERED) if r.worker_id == worker_id
    ]
    if not held and not offered:
        return texts.no_open_chat
    lines = [texts.worker_list_header] if held else []
    for referral in sorted(held, key=lambda r: r.id):
        line = _line(texts, referral, referrals.accepted_at(session, referral.id))
        current = referral.id == held[0].id
        lines.append(f"{line} {texts.worker_list_current}" if current else line)
    if offered:
        lines.append(texts.worker_list_offers)
        lines += [_line(texts, r, r.offered_at) for r in offered]
    return "\n".join(lines)


def _line(texts: ReferralFile, referral: Referral, since: dt.datetime | None) -> str:
    return fill(
        texts.worker_list_line,
        id=referral.id,
        area=referral.area,
        topic=texts.label(referral.topic),
        urgency=referral.urgency.replace("_", " "),
        since=(since or referral.created_at).astimezone(LONDON).strftime("%H:%M"),
    )


def switch(
    session: Session, texts: ReferralFile, worker_id: str, wanted: str, now: dt.datetime
) -> str:
    """/switch N (or #N): the worker's messages go to chat N from now on."""
    number = wanted.strip().lstrip("#")
    if not number.isdigit():
        return texts.worker_switch_how
    held = {r.id: r for r in referrals.accepted_by(session, worker_id)}
    referral_id = int(number)
    if referral_id not in held:
        return fill(texts.worker_no_such_chat, id=referral_id)
    referrals.focus(session, referral_id, now)
    return fill(texts.worker_switched, id=referral_id)


@dataclass(frozen=True)
class Saved:
    """A saved reply filled in for this worker, or (text None) the list of names to show."""

    text: str | None
    note: str


def saved_reply(
    texts: ReferralFile, replies: WorkerRepliesFile, worker: Worker, name: str
) -> Saved:
    """/r NAME: the reply to send; /r alone or an unknown name: what there is."""
    found = replies.find(name) if name.strip() else None
    if found is not None:
        return Saved(fill(found.text, name=worker.name), "")
    names = "\n".join(f"/r {r.name}: {_preview(r.text, worker)}" for r in replies.replies)
    lead = fill(texts.canned_unknown, name=name.strip()) + "\n" if name.strip() else ""
    return Saved(None, f"{lead}{texts.canned_list_header}\n{names}")


def _preview(text: str, worker: Worker, width: int = 60) -> str:
    flat = " ".join(fill(text, name=worker.name).split())
    return flat if len(flat) <= width else flat[: width - 1].rstrip() + "…"
