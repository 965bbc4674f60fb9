"""Co-use actions run for real: the fallback that names the pairs, and "show the other mixes"."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import sessionmaker

from actions.common import ContentAction
from actions.couse import ActionAnswerCouse
from actions.menu import ActionFallbackMenu
from blether.content import ContentLibrary
from blether.couse import ranked_notes, split_at_cap
from blether.db import make_engine, make_sessionmaker, upgrade
from blether.lexicon import SubstanceLexicon
from blether.mentions import distinct_substances

LONG_LIST = "can i take blues with gear drink pregabs and coke"
TAP = '/couse_opioids{"couse_all":true}'


@pytest.fixture
def sessions(tmp_path: Path) -> sessionmaker:
    url = f"sqlite:///{tmp_path}/app.db"
    upgrade(url)
    return make_sessionmaker(make_engine(url))


def substance_entities(library: ContentLibrary, text: str) -> list[dict[str, Any]]:
    """The `substance` entities the NLU pipeline sends along for `text`."""
    return [
        {
            "entity": "substance",
            "value": m.name,
            "start": m.start,
            "end": m.end,
            "additional_info": {"said": m.text, "class": m.substance_class, "fuzzy": m.fuzzy},
        }
        for m in SubstanceLexicon(library.substances()).find(text)
    ]


def user_event(text: str, intent: str, entities: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "event": "user",
        "text": text,
        "parse_data": {"intent": {"name": intent}, "entities": entities, "text": text},
    }


def tracker(
    intent: str,
    text: str,
    entities: list[dict[str, Any]],
    earlier: tuple[dict[str, Any], ...] = (),
) -> Tracker:
    latest = {"intent": {"name": intent, "confidence": 0.9}, "entities": entities, "text": text}
    events = [*earlier, user_event(text, intent, entities)]
    return Tracker("someone", {}, latest, events, False, None, {}, "action_listen")


def run(action: ContentAction, t: Tracker) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, t, {}))
    return dispatcher.messages, events


def test_not_understood_but_two_kinds_of_drug_named_gets_the_pairs(
    library: ContentLibrary, sessions: sessionmaker
) -> None:
    text = "is it safe to take blues gabbies coke and gear"
    messages, events = run(
        ActionFallbackMenu(library, sessions),
        tracker("nlu_fallback", text, substance_entities(library, text)),
    )
    assert messages[0]["text"].startswith("Dangerous mix: blues (street benzos) + gabbies")
    assert "gear (heroin)" in messages[0]["text"] and "coke (cocaine)" in messages[0]["text"]
    assert library.menu().fallback not in [m["text"] for m in messages]
    assert messages[-1]["text"] == library.menu().prompt
    assert events[0]["value"].startswith("combinations.yml@")


@pytest.mark.parametrize("text", ["Billy took blues", "zzqx flibber wump", "blues and etizzies"])
def test_not_understood_with_one_kind_of_drug_gets_the_menu(
    library: ContentLibrary, sessions: sessionmaker, text: str
) -> None:
    messages, _ = run(
        ActionFallbackMenu(library, sessions),
        tracker("nlu_fallback", text, substance_entities(library, text)),
    )
    assert [m["text"] for m in messages] == [library.menu().fallback, library.menu().prompt]


def test_a_broken_mixing_file_still_gets_the_menu(
    library: ContentLibrary, content_dir: Path, sessions: sessionmaker
) -> None:
    (content_dir / "combinations.yml").write_text("pairs: [")
    text = "blues and gear"
    messages, _ = run(
        ActionFallbackMenu(library, sessions),
        tracker("nlu_fallback", text, substance_entities(library, text)),
    )
    assert [m["text"] for m in messages] == [library.menu().fallback, library.menu().prompt]


def test_the_more_button_shows_the_mixes_left_out(
    library: ContentLibrary, sessions: sessionmaker
) -> None:
    entities = substance_entities(library, LONG_LIST)
    first, _ = run(
        ActionAnswerCouse(library, sessions), tracker("couse_opioids", LONG_LIST, entities)
    )
    [button] = first[1]["buttons"]
    assert button["payload"] == TAP
    question = user_event(LONG_LIST, "couse_opioids", entities)
    tap = [{"entity": "couse_all", "value": True}]
    more, events = run(
        ActionAnswerCouse(library, sessions),
        tracker("couse_opioids", TAP, tap, (question, user_event(TAP, "couse_opioids", tap))),
    )
    mentions = SubstanceLexicon(library.substances()).find(LONG_LIST)
    hidden = split_at_cap(ranked_notes(library.combinations(), distinct_substances(mentions)))[1]
    assert hidden
    assert [m["text"] for m in more] == ["\n\n".join(n.text for n in hidden)]
    assert all(n.text not in first[1]["text"] for n in hidden)
    assert events[0]["value"].startswith("combinations.yml@")


def test_a_typed_payload_with_odd_values_is_ignored(
    library: ContentLibrary, sessions: sessionmaker
) -> None:
    odd: list[dict[str, Any]] = [
        {"entity": "substance", "value": {"x": 1}},
        {"entity": "substance", "value": ["gear"]},
    ]
    messages, _ = run(
        ActionAnswerCouse(library, sessions), tracker("couse_opioids", "/couse_opioids{}", odd)
    )
    assert messages[0]["text"] == library.topic("couse_opioids").meta.summary
    assert messages[1]["text"].startswith("Dangerous mix: benzos + opioids")
