"""What a person reads: replies built from content, independent of Rasa and Telegram."""

from __future__ import annotations

from dataclasses import dataclass, field

from blether.content import ContentError, ContentLibrary
from blether.content.models import Topic

# Said only when content has never loaded; it must still carry the safety numbers.
CONTENT_UNAVAILABLE = (
    "Sorry, I can't get that answer just now. If someone is in danger, call 999. "
    "Samaritans: 116 123. Breathing Space: 0800 83 85 87. NHS 24: 111."
)


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: tuple[Button, ...] = ()


@dataclass(frozen=True)
class Answer:
    """Replies in order, and which content files (and versions) they came from."""

    topic: str
    replies: list[Reply]
    served_from: list[str] = field(default_factory=list)

    @property
    def provenance(self) -> str:
        return " ".join(self.served_from)


def topic_button(library: ContentLibrary, topic_id: str) -> Button | None:
    """A button that asks for a topic; none if its file cannot be served."""
    try:
        return Button(library.topic(topic_id).meta.title, f"/{topic_id}")
    except ContentError:
        return None


def follow_up_buttons(library: ContentLibrary, topic: Topic) -> tuple[Button, ...]:
    buttons = (topic_button(library, t) for t in topic.meta.follow_ups)
    return tuple(b for b in buttons if b is not None)


def served_from(library: ContentLibrary, topic: Topic) -> str:
    return f"topics/{topic.meta.id}.md@{topic.version}"


def topic_answer(
    library: ContentLibrary,
    topic_id: str,
    extra: list[Reply] | None = None,
    extra_sources: list[str] | None = None,
) -> Answer:
    """Summary first, then any `extra` replies, then the body with follow-up buttons.

    A `single_message` topic (the emergency card) goes out as one message so that every step
    arrives together, before anything else.
    """
    topic = library.topic(topic_id)
    buttons = follow_up_buttons(library, topic)
    if topic.meta.single_message:
        replies = [Reply(f"{topic.meta.summary}\n\n{topic.body}", buttons), *(extra or [])]
    else:
        replies = [Reply(topic.meta.summary), *(extra or []), Reply(topic.body, buttons)]
    return Answer(topic_id, replies, [served_from(library, topic), *(extra_sources or [])])


def menu_answer(library: ContentLibrary, lead: str | None = None) -> Answer:
    """The topic menu as buttons, optionally after a lead line (the fallback's apology)."""
    menu = library.menu()
    buttons = tuple(b for b in (topic_button(library, t) for t in menu.topics) if b is not None)
    replies = [Reply(lead)] if lead else []
    replies.append(Reply(menu.prompt, buttons))
    return Answer("menu", replies, [library.version("menu.yml")])
