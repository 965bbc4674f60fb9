from __future__ import annotations

from pathlib import Path

import pytest

from blether.content import ContentLibrary
from blether.lexicon import SubstanceLexicon, _edit_distance
from tests.conftest import rewrite


@pytest.fixture
def lexicon(library: ContentLibrary) -> SubstanceLexicon:
    return SubstanceLexicon(library.substances())


def names(lexicon: SubstanceLexicon, text: str) -> list[tuple[str, str]]:
    return [(m.name, m.substance_class) for m in lexicon.find(text)]


def test_street_names_map_to_substances_and_classes(lexicon: SubstanceLexicon) -> None:
    assert names(lexicon, "blues and methadone") == [
        ("street benzos", "benzodiazepine"),
        ("methadone", "opioid"),
    ]
    assert names(lexicon, "is it ok to take vallies wae gear") == [
        ("diazepam", "benzodiazepine"),
        ("heroin", "opioid"),
    ]
    assert names(lexicon, "etizzies and a few cans") == [
        ("etizolam", "benzodiazepine"),
        ("alcohol", "alcohol"),
    ]


def test_case_and_invisible_characters_do_not_hide_a_name(lexicon: SubstanceLexicon) -> None:
    assert names(lexicon, "BLUES and G\u200bEAR") == [
        ("street benzos", "benzodiazepine"),
        ("heroin", "opioid"),
    ]


def test_multi_word_names_win_over_their_parts(lexicon: SubstanceLexicon) -> None:
    found = lexicon.find("crystal meth and crack cocaine")
    assert [(m.text, m.name) for m in found] == [
        ("crystal meth", "methamphetamine"),
        ("crack cocaine", "crack"),
    ]


@pytest.mark.parametrize(
    ("typo", "name"),
    [
        ("diazapan", "diazepam"),
        ("pregablin", "pregabalin"),
        ("methadoen", "methadone"),
        ("etizolum", "etizolam"),
        ("gabapentn", "gabapentin"),
    ],
)
def test_misspellings_of_longer_names_are_matched(
    lexicon: SubstanceLexicon, typo: str, name: str
) -> None:
    [mention] = lexicon.find(f"can i take {typo}")
    assert mention.name == name
    assert mention.fuzzy or mention.text == typo


@pytest.mark.parametrize(
    "text",
    [
        "i had a snack",
        "the year was hard",
        "i think so",
        "naloxone kit",
        "my valleys",
        "she was dizzy",
    ],
)
def test_everyday_words_are_not_taken_for_drugs(lexicon: SubstanceLexicon, text: str) -> None:
    assert lexicon.find(text) == []


def test_offsets_point_at_the_words(lexicon: SubstanceLexicon) -> None:
    text = "mixing coke and blues"
    for mention in lexicon.find(text):
        assert text[mention.start : mention.end] == mention.text


def test_editors_add_slang_without_retraining(content_dir: Path) -> None:
    rewrite(content_dir / "substances.yml", "names: [bromazolams,", "names: [bromies, bromazolams,")
    lexicon = SubstanceLexicon(ContentLibrary(content_dir).substances())
    assert names(lexicon, "got some bromies") == [("bromazolam", "benzodiazepine")]


def test_edit_distance_counts_swaps_once() -> None:
    assert _edit_distance("diazepam", "diazpeam", 2) == 1
    assert _edit_distance("abc", "abc", 1) == 0
    assert _edit_distance("pregabalin", "gabapentin", 2) == 3
