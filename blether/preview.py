"""What a person would see on Telegram for a topic: split, escaped, with buttons."""

from __future__ import annotations

from dataclasses import dataclass

from blether.answers import every_answer
from blether.content import ContentLibrary
from blether.mentions import Mention
from blether.replies import Button
from blether.splitting import split_message, to_html


@dataclass(frozen=True)
class TelegramMessage:
    text: str  # as the person reads it
    html: str  # as it is sent, escaped for Telegram's HTML mode
    buttons: tuple[Button, ...] = ()
    when: str = ""  # set on the first message of an answer sent only in some cases


def render_topic(
    library: ContentLibrary, topic_id: str, mentions: list[Mention] | None = None
) -> list[TelegramMessage]:
    messages: list[TelegramMessage] = []
    for when, answer in every_answer(library, topic_id, mentions):
        for reply in answer.replies:
            pieces = split_message(reply.text)
            for index, piece in enumerate(pieces):
                buttons = reply.buttons if index == len(pieces) - 1 else ()
                messages.append(TelegramMessage(piece, to_html(piece), buttons, when))
                when = ""  # only the answer's first message carries it
    return messages


def render_text(messages: list[TelegramMessage]) -> str:
    out = []
    for number, message in enumerate(messages, 1):
        if message.when:
            out.append(f"=== {message.when}:")
        out.append(f"--- message {number} ({len(message.text)} characters)")
        out.append(message.text)
        if message.buttons:
            out.append("  ".join(f"[{b.title}]" for b in message.buttons))
    return "\n".join(out)
