"""Which composer answers a topic: co-use, services, the referral form, or an advice file."""

from __future__ import annotations

import datetime as dt

from blether import alerts
from blether.alert_menu import MENU
from blether.content import ContentError, ContentLibrary
from blether.content.alert_models import Alert, local_areas
from blether.content.models import fill
from blether.couse import couse_answer
from blether.mentions import Mention
from blether.replies import Answer, Button, Reply, topic_answer
from blether.services import services_answer
from blether.topics import SAFETY

COUSE_TOPICS = ("couse_opioids", "couse_alcohol", "couse_gabapentinoids", "couse_stimulants")
# The button under "what is going about" opens the /alerts menu in the Telegram bridge.
ALERTS_MENU = MENU
# Answers that never start with an alert: the safety cards come first, always.
NO_ALERT_FIRST = frozenset({*SAFETY, "request_human", "drug_alerts"})


def referral_start(library: ContentLibrary) -> Answer:
    """Asking for a person starts the referral form with its consent question."""
    texts = library.referral()
    buttons = (Button(texts.consent_yes, "/affirm"), Button(texts.consent_no, "/deny"))
    return Answer(
        "request_human", [Reply(texts.ask_consent, buttons)], [library.version("referral.yml")]
    )


def referral_declined(library: ContentLibrary) -> Answer:
    """Someone who says no to being contacted still learns how to reach a person themselves."""
    listing = services_answer(library, "request_human")
    return Answer(
        "request_human",
        [Reply(library.referral().stopped), *listing.replies],
        [library.version("referral.yml"), *listing.served_from],
    )


def _alert_replies(
    library: ContentLibrary, shown: list[Alert], limit: int
) -> tuple[list[Reply], list[str]]:
    texts = library.alert_texts()
    replies = [Reply(alerts.render(alert, texts)) for alert in shown[:limit]]
    if len(shown) > limit:
        replies.append(Reply(fill(texts.more, count=len(shown) - limit)))
    return replies, [f"alerts/{a.meta.id}.md@{a.version}" for a in shown[:limit]]


def with_alerts(
    library: ContentLibrary, answer: Answer, mentions: list[Mention], today: dt.date
) -> Answer:
    """Current alerts about the substances a person named, before the answer itself."""
    if not mentions or answer.topic in NO_ALERT_FIRST:
        return answer
    try:
        shown = alerts.current(library.alerts(), today, [m.name for m in mentions])
        if not shown:
            return answer
        replies, sources = _alert_replies(library, shown, alerts.IN_ANSWER)
    except ContentError:
        return answer  # alerts.yml is broken: the answer itself still goes out
    return Answer(answer.topic, [*replies, *answer.replies], [*answer.served_from, *sources])


def alerts_answer(
    library: ContentLibrary, mentions: list[Mention], text: str, today: dt.date
) -> Answer:
    """ "Anything bad going about?": current alerts for what or where they named, else the
    reason no alert is not the same as safe; then the advice file, with a way to subscribe."""
    texts = library.alert_texts()
    area = alerts.area_in(text, local_areas(library.services()))
    names = [m.name for m in mentions]
    shown = alerts.current(library.alerts(), today, names, area)
    if shown:
        lead, sources = _alert_replies(library, shown, alerts.ON_REQUEST)
    else:
        where = " ".join(
            part
            for part in (
                f"about {', '.join(dict.fromkeys(names))}" if names else "",
                f"for {area}" if area else "",
            )
            if part
        )
        lead, sources = [Reply(fill(texts.none_current, where=where or texts.anywhere))], []
    answer = topic_answer(library, "drug_alerts")
    last = answer.replies[-1]
    subscribe = Button(texts.subscribe_button, ALERTS_MENU)
    replies = [*lead, *answer.replies[:-1], Reply(last.text, (subscribe, *last.buttons))]
    return Answer(
        answer.topic, replies, [*answer.served_from, library.version("alerts.yml"), *sources]
    )


def answer_for(
    library: ContentLibrary,
    topic_id: str,
    mentions: list[Mention] | None = None,
    text: str = "",
    today: dt.date | None = None,
) -> Answer:
    """What a person is sent for a topic, as the actions and the referral form send it.

    `text` is the message (for an area named in it) and `today` decides which alerts are
    current; neither is kept.
    """
    day = today or dt.date.today()
    named = mentions or []
    if topic_id == "drug_alerts":
        return alerts_answer(library, named, text, day)
    if topic_id in COUSE_TOPICS:
        answer = couse_answer(library, topic_id, named)
    elif topic_id == "find_service":
        answer = services_answer(library, topic_id)
    elif topic_id == "request_human":
        return referral_start(library)
    else:
        answer = topic_answer(library, topic_id)
    return with_alerts(library, answer, named, day)


def every_answer(
    library: ContentLibrary, topic_id: str, mentions: list[Mention] | None = None
) -> list[tuple[str, Answer]]:
    """Each answer a topic can send, with when it is sent, so previews and checks miss none.

    Asking for a person opens the referral form; the topic's own file is only read by someone
    who declines it, and an editor changing that file must still see and check what it says.
    """
    if topic_id == "request_human":
        return [
            ("", referral_start(library)),
            ("if they say no to being contacted", referral_declined(library)),
        ]
    return [("", answer_for(library, topic_id, mentions))]
