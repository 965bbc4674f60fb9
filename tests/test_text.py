from blether.text import normalise


def test_invisible_characters_and_lookalikes_are_folded() -> None:
    assert normalise("o\u200bver\u200ddose") == "overdose"
    assert normalise("ｎｏｔ breathing") == "not breathing"
    assert normalise("he\u2019s  not\n\tbreathing ") == "he's not breathing"


def test_empty_and_emoji_only_text_is_safe() -> None:
    assert normalise("") == ""
    assert normalise("😀😀😀") == "😀😀😀"
