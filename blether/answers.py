"""Which composer answers a topic: co-use, services, the referral form, or an advice file."""

from __future__ import annotations

from blether.content import ContentLibrary
from blether.couse import couse_answer
from blether.mentions import Mention
from blether.replies import Answer, Button, Reply, topic_answer
from blether.services import services_answer

COUSE_TOPICS = ("couse_opioids", "couse_alcohol", "couse_gabapentinoids", "couse_stimulants")


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


def answer_for(
    library: ContentLibrary, topic_id: str, mentions: list[Mention] | None = None
) -> Answer:
    """What a person is sent for a topic, as the actions and the referral form send it."""
    if topic_id in COUSE_TOPICS:
        return couse_answer(library, topic_id, mentions or [])
    if topic_id == "find_service":
        return services_answer(library, topic_id)
    if topic_id == "request_human":
        return referral_start(library)
    return topic_answer(library, topic_id)


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
