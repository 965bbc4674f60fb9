"""Co-use answers: the risk of each pair of substances a person names."""

from __future__ import annotations

from collections.abc import Mapping
from itertools import combinations

from blether.content import ContentLibrary
from blether.content.models import CombinationFile
from blether.mentions import Mention, distinct_substances
from blether.replies import Answer, Reply, topic_answer

MAX_PAIRS = 3


def _placeholder(cls: str, names: Mapping[str, str]) -> Mention:
    """Stands for a class the person did not name ("opioids" in "is it safe wae blues")."""
    return Mention(names[cls], names[cls], cls, -1, -1, fuzzy=True)


def pair_note(combos: CombinationFile, first: Mention, second: Mention) -> str:
    wanted = {first.substance_class, second.substance_class}
    pair = next((p for p in combos.pairs if set(p.classes) == wanted), None)
    if pair and first.substance_class != pair.classes[0]:
        first, second = second, first  # {first} in a note means the pair's first class
    risk = pair.risk if pair else "unknown"
    note = pair.note if pair else combos.unknown_note
    text = note.replace("{first}", first.short).replace("{second}", second.short)
    return (
        f"{combos.risk_labels[risk]}: {first.label} + {second.label}.\n{text[:1].upper()}{text[1:]}"
    )


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
    topic = library.topic(topic_id)
    combos = library.combinations()
    chosen = substances_to_explain(mentions, topic.meta.default_pair, combos.class_names)
    notes = [pair_note(combos, a, b) for a, b in list(combinations(chosen, 2))[:MAX_PAIRS]]
    extra = [Reply("\n\n".join(notes))] if notes else []
    served = [library.version("combinations.yml")] if notes else []
    return topic_answer(library, topic_id, extra, served)
