"""The one normaliser: dialect and texting forms, typos, idempotence, and editors' mistakes."""

from __future__ import annotations

from pathlib import Path

import pytest

from blether.content import ContentLibrary
from blether.language import Normaliser
from tests.conftest import ROOT, rewrite


@pytest.fixture(scope="module")
def normalise() -> Normaliser:
    return Normaliser(ContentLibrary(ROOT / "content").language())


@pytest.mark.parametrize(
    ("said", "standard"),
    [
        ("Ma pal's nae breathin", "my pals no breathing"),
        ("he willnae wake", "he wont wake"),
        ("a want tae dae masel in", "i want to do myself in"),
        ("she's deid", "shes dead"),
        ("gonnae no", "going to no"),
        ("u ok rn", "you ok right now"),
        ("kms", "kill myself"),
        ("he took an od", "he took an overdose"),
        ("hes OD'd", "hes overdosed"),
        ("she\u2019s o\u200bverdosing", "shes overdosing"),
    ],
)
def test_scots_and_texting_forms_become_standard_words(
    normalise: Normaliser, said: str, standard: str
) -> None:
    assert normalise(said) == standard


@pytest.mark.parametrize(
    ("typo", "word"),
    [("unconsious", "unconscious"), ("breatheing", "breathing"), ("overdosign", "overdosing")],
)
def test_typos_of_safety_words_are_corrected(normalise: Normaliser, typo: str, word: str) -> None:
    assert normalise(typo) == word


@pytest.mark.parametrize("word", ["conscious", "cooking", "overdoing", "walking", "blues"])
def test_real_words_near_a_safety_word_are_left_alone(normalise: Normaliser, word: str) -> None:
    assert normalise(word) == word


def test_running_twice_changes_nothing_more(normalise: Normaliser) -> None:
    once = normalise("Ma maw's no wakin n shes goin blue!! HEEELP pls")
    assert normalise(once) == once
    assert once == "my maws no waking and shes going blue ! ! help please"


def test_emoji_floods_and_empty_messages_are_harmless(normalise: Normaliser) -> None:
    assert normalise("") == ""
    assert normalise("😀" * 5000) == ""


def test_a_word_mapped_two_ways_is_an_error_with_its_line(content_dir: Path) -> None:
    rewrite(content_dir / "language.yml", "  tae: to\n", "  tae: to\n  tae: toe\n")
    problems = ContentLibrary(content_dir).check()
    assert any(
        "language.yml" in str(p.path) and "'tae' is given twice" in p.message for p in problems
    )


def test_a_chain_of_mappings_is_an_error(content_dir: Path) -> None:
    rewrite(content_dir / "language.yml", "  tae: to\n", "  tae: to\n  to: towards\n")
    problems = ContentLibrary(content_dir).check()
    assert any("'tae' maps to 'to', but 'to' is itself mapped" in p.message for p in problems)


def test_an_unquoted_no_is_explained(content_dir: Path) -> None:
    rewrite(content_dir / "language.yml", '  nae: "no"\n', "  nae: no\n")
    problems = ContentLibrary(content_dir).check()
    assert any("put the word in quotes" in p.message for p in problems)


def test_a_mapping_that_changes_a_safety_outcome_fails_the_check(content_dir: Path) -> None:
    # "breathin" read as something else would stop "ma pal's nae breathin" being an emergency.
    rewrite(content_dir / "language.yml", "  aw: all\n", "  aw: all\n  breathin: breathless\n")
    problems = ContentLibrary(content_dir).check()
    assert any("safety.yml" in str(p.path) and "nae breathin" in p.message for p in problems)


@pytest.mark.parametrize(
    ("said", "standard"),
    [
        ("savin up ma gabbies", "saving up my gabbies"),
        ("headin hame", "heading home"),
        ("the wee yin is greetin", "the wee yin is crying"),
        ("heroin and gabapentin in ma cabin", "heroin and gabapentin in my cabin"),
    ],
)
def test_a_dropped_g_comes_back_but_real_in_words_stay(
    normalise: Normaliser, said: str, standard: str
) -> None:
    assert normalise(said) == standard


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ("a cant wake him", "i cant wake him"),
        ("a passed oot on the couch", "i passed out on the couch"),
        ("ah will", "i will"),
        ("am no sure", "im no sure"),
        ("a lot of blues", "a lot of blues"),  # the article stays an article
        ("wrote a will", "wrote a will"),
        ("am i ok", "am i ok"),
        ("i am fine", "i am fine"),
        ("at 8 am tomorrow", "at 8 am tomorrow"),
    ],
)
def test_scots_i_is_read_as_i_only_before_a_verb(
    normalise: Normaliser, text: str, read: str
) -> None:
    assert normalise(text) == read
    assert normalise(read) == read
