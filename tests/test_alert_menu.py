"""The /alerts menu: buttons per area that toggle, and taps read back safely."""

from __future__ import annotations

from blether import alert_menu
from blether.alert_menu import Tap
from blether.content import ContentLibrary

AREAS = ["Glasgow", "Edinburgh"]


def test_the_menu_marks_what_they_have_and_offers_to_stop(library: ContentLibrary) -> None:
    texts = library.alert_texts()
    fresh = alert_menu.menu(texts, AREAS, [])
    assert [b.title for b in fresh.buttons] == ["Glasgow", "Edinburgh", "All Scotland", "Done"]
    assert texts.not_subscribed in fresh.text
    have = alert_menu.menu(texts, AREAS, ["Glasgow"], lead="You will get alerts for Glasgow.")
    titles = [b.title for b in have.buttons]
    assert titles == ["✓ Glasgow", "Edinburgh", "All Scotland", "Stop all alerts", "Done"]
    assert have.buttons[0].payload == "al:drop:Glasgow"
    assert have.text.startswith("You will get alerts for Glasgow.")
    assert "You get alerts for: Glasgow." in have.text
    assert all(len(b.payload.encode()) <= 64 for b in have.buttons)


def test_taps_are_read_back_and_unknown_areas_refused() -> None:
    assert alert_menu.read("al:add:glasgow", AREAS) == Tap("add", "Glasgow")
    assert alert_menu.read("al:drop:Scotland", AREAS) == Tap("drop", "Scotland")
    assert alert_menu.read("al:stop", AREAS) == Tap("stop")
    assert alert_menu.read("al:menu", AREAS) == Tap("menu")
    assert alert_menu.read("al:add:Atlantis", AREAS) is None
    assert alert_menu.read("ci:ok:1", AREAS) is None
