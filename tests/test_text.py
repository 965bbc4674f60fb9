from blether.text import normalise, without_lone_surrogates


def test_invisible_characters_and_lookalikes_are_folded() -> None:
    assert normalise("o\u200bver\u200ddose") == "overdose"
    assert normalise("ｎｏｔ breathing") == "not breathing"
    assert normalise("he\u2019s  not\n\tbreathing ") == "he's not breathing"


def test_empty_and_emoji_only_text_is_safe() -> None:
    assert normalise("") == ""
    assert normalise("😀😀😀") == "😀😀😀"


def test_half_an_emoji_is_replaced_and_whole_ones_are_kept() -> None:
    cut = "what is naloxone \ud83d"
    cleaned = without_lone_surrogates(cut)
    assert cleaned == "what is naloxone \ufffd"
    cleaned.encode("utf-8")  # no longer fails on its way to Rasa
    assert without_lone_surrogates("ok \U0001f600") == "ok \U0001f600"
    assert without_lone_surrogates("\ud83d\ude00") == "\U0001f600"
