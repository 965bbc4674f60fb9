"""How `blether chat` shows a turn in a terminal, and reads a number or a title as a button.

No servers and no terminal here: text in, text out, so the console's choices are tested fast.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO

from blether.replies import Button, Reply
from blether.splitting import split_message

# Telegram's inline keyboard shows this much of a button's title (bridge/delivery.py).
TITLE_LIMIT = 60
DIM, RESET = "\x1b[2m", "\x1b[0m"
INDENT = "  "
# A bar down the side of each message, so that two messages read as two, as in Telegram, and
# not as paragraphs of one.
BAR = "  \u2502 "


@dataclass(frozen=True)
class Choice:
    """What goes to Rasa for a typed line: a button's payload, or the text as typed."""

    send: str
    button: Button | None = None


def choose(typed: str, buttons: Sequence[Button]) -> Choice:
    """A bare number of a shown button, or its title (any case), picks that button.

    Anything else is a message, as typed: the buttons offer, they never swallow what someone
    types (a "45" when 10/20/30 minutes are shown is 45 minutes, not a menu item).
    """
    text = typed.strip()
    if text.isdigit() and 1 <= int(text) <= len(buttons):
        button = buttons[int(text) - 1]
        return Choice(button.payload, button)
    for button in buttons:
        if text.casefold() == button.title.strip().casefold():
            return Choice(button.payload, button)
    return Choice(typed)


def buttons_of(replies: Sequence[Reply]) -> list[Button]:
    """A turn's buttons in the order shown, numbered from 1 across all its messages."""
    return [button for reply in replies for button in reply.buttons]


def render_replies(replies: Sequence[Reply], width: int = 100) -> list[str]:
    """The turn as Telegram shows it: each message (long ones split as the bridge splits
    them) with a bar down its side and a blank line after, buttons as numbered choices under
    the last piece of their message."""
    lines: list[str] = []
    number = 1
    for reply in replies:
        for piece in split_message(reply.text):
            if lines:
                lines.append("")
            lines.extend((BAR + line).rstrip() for line in piece.split("\n"))
        if reply.buttons:
            choices = []
            for button in reply.buttons:
                choices.append(f"[{number}] {button.title[:TITLE_LIMIT]}")
                number += 1
            lines.extend(BAR + row for row in _rows(choices, width - len(BAR)))
    return lines


def _rows(choices: Sequence[str], width: int) -> list[str]:
    """Choices two spaces apart, as many to a line as fit; a choice is never broken."""
    rows: list[str] = []
    for choice in choices:
        if rows and len(rows[-1]) + 2 + len(choice) <= width:
            rows[-1] += "  " + choice
        else:
            rows.append(choice)
    return rows


def wants_colour(stream: TextIO, environ: dict[str, str] | None = None) -> bool:
    """ANSI dim only for a terminal, and never with NO_COLOR set (https://no-color.org)."""
    env = os.environ if environ is None else environ
    return stream.isatty() and not env.get("NO_COLOR")


def dimmed(lines: Sequence[str], colour: bool) -> list[str]:
    """The working, set apart: dim in a terminal, the same words without one."""
    if not colour:
        return [INDENT + line for line in lines]
    return [f"{DIM}{INDENT}{line}{RESET}" for line in lines]
