"""The /alerts menu: which areas a person gets drug alerts for, as buttons they toggle.

No Telegram and no database: the menu is built from the texts, the areas and what the person
has; a tap is read back into what to do, and only known areas are accepted (callback data
can be forged).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from blether.alerts import areas_text
from blether.content.alert_models import ALL_SCOTLAND, AlertTexts
from blether.content.models import fill
from blether.replies import Button, Reply

PREFIX = "al:"
MENU = "al:menu"
ADD = "al:add:"
DROP = "al:drop:"
STOP = "al:stop"
DONE = "al:done"
Action = Literal["menu", "add", "drop", "stop", "done"]


@dataclass(frozen=True)
class Tap:
    action: Action
    area: str | None = None


def choices(areas: list[str]) -> list[str]:
    """Every area a person may pick: the local ones, then all Scotland."""
    return [*areas, ALL_SCOTLAND]


def status(texts: AlertTexts, subscribed: list[str]) -> str:
    if not subscribed:
        return texts.not_subscribed
    return fill(texts.subscribed_to, areas=areas_text(subscribed, texts))


def menu(texts: AlertTexts, areas: list[str], subscribed: list[str], lead: str = "") -> Reply:
    """The menu message: what they get now, then a button per area (✓ when they have it)."""
    have = {a.lower() for a in subscribed}
    buttons = []
    for area in choices(areas):
        title = texts.all_scotland if area == ALL_SCOTLAND else area
        if area.lower() in have:
            buttons.append(Button(f"✓ {title}", DROP + area))
        else:
            buttons.append(Button(title, ADD + area))
    if subscribed:
        buttons.append(Button(texts.stop_all, STOP))
    buttons.append(Button(texts.done, DONE))
    text = "\n\n".join(part for part in (lead, texts.menu, status(texts, subscribed)) if part)
    return Reply(text, tuple(buttons))


def read(data: str, areas: list[str]) -> Tap | None:
    """What a tap asks for; None for anything not from this menu or for an unknown area."""
    if data == MENU:
        return Tap("menu")
    if data == STOP:
        return Tap("stop")
    if data == DONE:
        return Tap("done")
    for prefix, action in ((ADD, "add"), (DROP, "drop")):
        if data.startswith(prefix):
            wanted = data[len(prefix) :].lower()
            area = next((a for a in choices(areas) if a.lower() == wanted), None)
            return Tap(action, area) if area else None  # type: ignore[arg-type]
    return None
