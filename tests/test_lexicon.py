from __future__ import annotations

from pathlib import Path

import pytest

from blether.content import ContentError, ContentLibrary
from blether.lexicon import SubstanceLexicon
from tests.conftest import ROOT, rewrite


@pytest.fixture(scope="module")
def lexicon() -> SubstanceLexicon:
    """Built once from the shipped file, which these tests only read."""
    return SubstanceLexicon(ContentLibrary(ROOT / "content").substances())


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
        "me and my buddies",
        "saw a heron",
        "our allies",
        "the nannies",
        "sore tummies",
        "any queries",
        "my pet budgies",
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


def test_a_swapped_pair_of_letters_counts_as_one_typo(lexicon: SubstanceLexicon) -> None:
    assert names(lexicon, "diazpeam") == [("diazepam", "benzodiazepine")]
    assert names(lexicon, "pregabalni") == [("pregabalin", "gabapentinoid")]


def test_two_typos_only_in_long_names(lexicon: SubstanceLexicon) -> None:
    assert names(lexicon, "gabapantine") == [("gabapentin", "gabapentinoid")]
    assert names(lexicon, "etizlom") == []  # two typos in a seven-letter name is a guess


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Billy took blues and gabbies", ["street benzos", "gabapentin"]),
        ("me and billy took blues", ["street benzos"]),
        ("charlie and tina took blues", ["street benzos"]),
        ("his lips are blue", []),
        ("his lips are going blue after blues", ["street benzos"]),
        ("my joints ache", []),
        ("whats the crack", []),
        ("k thanks", []),
        ("she's got a bag", []),
        ("went round the bars", []),
        ("put it on the grass", []),
        ("the speed of it", []),
        ("crystal told me", []),
        ("im stoned", []),
        ("bought jellies for the weans", []),
    ],
)
def test_names_that_are_ordinary_words_need_a_drug_nearby(
    lexicon: SubstanceLexicon, text: str, expected: list[str]
) -> None:
    assert [m.name for m in lexicon.find(text)] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("took some billy last night", [("billy", "amphetamine")]),
        ("a bag of charlie", [("charlie", "cocaine")]),
        ("blues and billy", [("blues", "street benzos"), ("billy", "amphetamine")]),
        ("charlie wae gear", [("charlie", "cocaine"), ("gear", "heroin")]),
        ("took charlie and tina", [("charlie", "cocaine"), ("tina", "methamphetamine")]),
        ("im on crystal", [("crystal", "methamphetamine")]),
        ("some blue ones", [("blue", "street benzos")]),
        ("smoking crack", [("crack", "crack")]),
        ("took g last night", [("g", "GHB")]),
        ("g and blues", [("g", "GHB"), ("blues", "street benzos")]),
        ("a bit of k", [("k", "ketamine")]),
        ("smoking a joint", [("joint", "cannabis")]),
        (
            "coke, speed and bars",
            [("coke", "cocaine"), ("speed", "amphetamine"), ("bars", "alprazolam")],
        ),
    ],
)
def test_names_that_are_ordinary_words_count_next_to_drug_words(
    lexicon: SubstanceLexicon, text: str, expected: list[tuple[str, str]]
) -> None:
    assert [(m.text.lower(), m.name) for m in lexicon.find(text)] == expected


def test_a_context_name_is_never_matched_by_a_typo(lexicon: SubstanceLexicon) -> None:
    assert lexicon.find("took stoned") == []  # "stones" needs context and no typos
    assert lexicon.find("some charley") == []


def test_meth_on_its_own_is_methadone(lexicon: SubstanceLexicon) -> None:
    assert names(lexicon, "meth and blues") == [
        ("methadone", "opioid"),
        ("street benzos", "benzodiazepine"),
    ]
    assert names(lexicon, "crystal meth") == [("methamphetamine", "stimulant")]
    assert names(lexicon, "took tina") == [("methamphetamine", "stimulant")]


@pytest.mark.parametrize(
    ("text", "name", "cls"),
    [
        ("bromaz", "bromazolam", "benzodiazepine"),
        ("brom", "bromazolam", "benzodiazepine"),
        ("bromozolam", "bromazolam", "benzodiazepine"),
        ("bromazalom", "bromazolam", "benzodiazepine"),
        ("tranq", "xylazine", "xylazine"),
        ("tranq dope", "xylazine", "xylazine"),
        ("nitazene", "nitazenes", "opioid"),
        ("nitazenes", "nitazenes", "opioid"),
        ("nitaz", "nitazenes", "opioid"),
        ("nitz", "nitazenes", "opioid"),
        ("isotonitazene", "nitazenes", "opioid"),
        ("metonitazene", "nitazenes", "opioid"),
        ("protonitazene", "nitazenes", "opioid"),
        ("ghb", "GHB", "ghb"),
        ("gbl", "GHB", "ghb"),
        ("liquid ecstasy", "GHB", "ghb"),
        ("ket", "ketamine", "ketamine"),
        ("ketty", "ketamine", "ketamine"),
        ("special k", "ketamine", "ketamine"),
        ("weed", "cannabis", "cannabis"),
        ("hash", "cannabis", "cannabis"),
        ("spliff", "cannabis", "cannabis"),
        ("gabbies", "gabapentin", "gabapentinoid"),
        ("gabs", "gabapentin", "gabapentinoid"),
        ("pregabs", "pregabalin", "gabapentinoid"),
        ("lyrica", "pregabalin", "gabapentinoid"),
        ("quetties", "quetiapine", "other"),
        ("seroquel", "quetiapine", "other"),
        ("street valium", "street benzos", "benzodiazepine"),
    ],
)
def test_new_street_names(lexicon: SubstanceLexicon, text: str, name: str, cls: str) -> None:
    assert names(lexicon, f"can i take {text}") == [(name, cls)]


def test_a_name_in_both_lists_is_an_error(content_dir: Path) -> None:
    rewrite(
        content_dir / "substances.yml",
        "needs_context: [speed, billy]",
        "needs_context: [speed, billy, whizz]",
    )
    with pytest.raises(ContentError, match="'whizz' is in both names and needs_context"):
        ContentLibrary(content_dir).substances()


def test_a_word_yaml_reads_as_yes_or_no_must_be_quoted(content_dir: Path) -> None:
    rewrite(content_dir / "substances.yml", '"on", few,', "on, few,")
    with pytest.raises(ContentError, match="needs quotes"):
        ContentLibrary(content_dir).substances()


def test_editors_mark_a_name_as_needing_context(content_dir: Path) -> None:
    rewrite(content_dir / "substances.yml", "names: [coke, ching,", "names: [ching,")
    rewrite(
        content_dir / "substances.yml", "needs_context: [charlie]", "needs_context: [charlie, coke]"
    )
    lexicon = SubstanceLexicon(ContentLibrary(content_dir).substances())
    assert lexicon.find("a can of coke") == []
    assert names(lexicon, "blues and coke") == [
        ("street benzos", "benzodiazepine"),
        ("cocaine", "stimulant"),
    ]
