"""Co-use answers: the risk of each pair of substances a person names, most dangerous first.

A dangerous pair is always said. Other pairs fill the answer up to MAX_PAIRS; any left over
are counted in one line with a button that shows them, so a long list of drugs does not bury
the warning that matters.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import combinations

from blether.content import ContentError, ContentLibrary
from blether.content.models import CombinationFile, Risk, fill
from blether.mentions import Mention, distinct_substances
from blether.replies import Answer, Button, Reply, menu_answer, topic_answer

COUSE_TOPICS = ("couse_opioids", "couse_alcohol", "couse_gabapentinoids", "couse_stimulants")
MAX_PAIRS = 3
# Most dangerous first; an unknown mix is ranked above one with a known lower risk.
RISK_ORDER = ("dangerous", "caution", "unknown", "low-known-risk")
# The entity a "show the other mixes" button sends; the substances come from the question.
MORE_ENTITY = "couse_all"


@dataclass(frozen=True)
class PairNote:
    risk: Risk
    text: str


def _placeholder(cls: str, names: Mapping[str, str]) -> Mention:
    """Stands for a class the person did not name ("opioids" in "is it safe wae blues")."""
    return Mention(names[cls], names[cls], cls, -1, -1, fuzzy=True)


def pair_note(combos: CombinationFile, first: Mention, second: Mention) -> PairNote:
    wanted = {first.substance_class, second.substance_class}
    pair = next((p for p in combos.pairs if set(p.classes) == wanted), None)
    if pair and first.substance_class != pair.classes[0]:
        first, second = second, first  # {first} in a note means the pair's first class
    risk: Risk = pair.risk if pair else "unknown"
    note = pair.note if pair else combos.unknown_note
    text = note.replace("{first}", first.short).replace("{second}", second.short)
    heading = f"{combos.risk_labels[risk]}: {first.label} + {second.label}."
    return PairNote(risk, f"{heading}\n{text[:1].upper()}{text[1:]}")


def ranked_notes(combos: CombinationFile, chosen: list[Mention]) -> list[PairNote]:
    """Every pair, dangerous first; pairs of equal risk keep the order they were named in."""
    notes = [pair_note(combos, a, b) for a, b in combinations(chosen, 2)]
    return sorted(notes, key=lambda n: RISK_ORDER.index(n.risk))


def split_at_cap(notes: list[PairNote]) -> tuple[list[PairNote], list[PairNote]]:
    """(said now, left for the button): every dangerous pair, then others up to MAX_PAIRS."""
    dangerous = [n for n in notes if n.risk == "dangerous"]
    others = [n for n in notes if n.risk != "dangerous"]
    room = max(0, MAX_PAIRS - len(dangerous))
    return dangerous + others[:room], others[room:]


def more_payload(topic_id: str) -> str:
    """Short enough for Telegram's 64-byte callback data, so it survives a bridge restart."""
    return f"/{topic_id}{json.dumps({MORE_ENTITY: True}, separators=(',', ':'))}"


def _notes_reply(
    combos: CombinationFile, topic_id: str, shown: list[PairNote], hidden: list[PairNote]
) -> Reply:
    text = "\n\n".join(n.text for n in shown)
    if not hidden:
        return Reply(text)
    more = fill(combos.more_pairs, count=len(hidden))
    return Reply(f"{text}\n\n{more}", (Button(combos.more_button, more_payload(topic_id)),))


def substances_to_explain(
    mentions: list[Mention], default_pair: tuple[str, str] | None, names: Mapping[str, str]
) -> list[Mention]:
    """The named substances, topped up from the topic's default pair to make at least two."""
    chosen = distinct_substances(mentions)
    if default_pair and len(chosen) < 2:
        named_classes = {m.substance_class for m in chosen}
        for cls in default_pair:
            if len(chosen) >= 2:
                break
            if cls not in named_classes:
                chosen.append(_placeholder(cls, names))
                named_classes.add(cls)
    return chosen


def couse_answer(library: ContentLibrary, topic_id: str, mentions: list[Mention]) -> Answer:
    """The topic's advice with a note for each pair of the substances named."""
    topic = library.topic(topic_id)
    combos = library.combinations()
    chosen = substances_to_explain(mentions, topic.meta.default_pair, combos.class_names)
    shown, hidden = split_at_cap(ranked_notes(combos, chosen))
    if not shown:
        return topic_answer(library, topic_id)
    extra = [_notes_reply(combos, topic_id, shown, hidden)]
    return topic_answer(library, topic_id, extra, [library.version("combinations.yml")])


def more_answer(library: ContentLibrary, topic_id: str, mentions: list[Mention]) -> Answer:
    """After "show the other mixes": the pairs the first answer left out, all of them."""
    combos = library.combinations()
    chosen = distinct_substances(mentions)
    if len(chosen) < 2:
        # The question is no longer in the conversation (a new session): answer afresh.
        return couse_answer(library, topic_id, mentions)
    notes = ranked_notes(combos, chosen)
    rest = split_at_cap(notes)[1] or notes
    return Answer(
        topic_id, [_notes_reply(combos, topic_id, rest, [])], [library.version("combinations.yml")]
    )


def couse_topic_for(library: ContentLibrary, mentions: list[Mention]) -> str | None:
    """The co-use topic whose default pair best fits the classes named; none for under two."""
    named = {m.substance_class for m in mentions}
    if len(named) < 2:
        return None

    def fit(topic_id: str) -> int:
        try:
            pair = library.topic(topic_id).meta.default_pair
        except ContentError:
            return -1
        return len(named & set(pair or ()))

    return max(COUSE_TOPICS, key=fit)  # ties go to the first, the deadliest mix


def couse_fallback(library: ContentLibrary, mentions: list[Mention]) -> Answer | None:
    """For a message not understood that names substances of two or more classes: the risk
    of each pair, then the menu. None when fewer than two classes are named."""
    topic_id = couse_topic_for(library, mentions)
    if topic_id is None:
        return None
    combos = library.combinations()
    shown, hidden = split_at_cap(ranked_notes(combos, distinct_substances(mentions)))
    menu = menu_answer(library)
    return Answer(
        topic_id,
        [_notes_reply(combos, topic_id, shown, hidden), *menu.replies],
        [library.version("combinations.yml"), *menu.served_from],
    )
