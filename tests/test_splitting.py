from blether.splitting import TELEGRAM_LIMIT, split_message, to_html


def test_short_text_is_one_piece() -> None:
    assert split_message("Hello.\n\nBye.") == ["Hello.\n\nBye."]


def test_empty_text_is_nothing() -> None:
    assert split_message("  \n ") == []


def test_split_at_paragraphs_then_sentences_then_words() -> None:
    paragraph = "One sentence here. " * 300
    pieces = split_message(f"{paragraph}\n\n{paragraph}", limit=1000)
    assert all(0 < len(p) <= 1000 for p in pieces)
    assert all(p.endswith(".") for p in pieces)
    assert " ".join(pieces).count("One sentence here.") == 600
    unbroken = "x" * 2500
    pieces = split_message(unbroken, limit=1000)
    assert "".join(pieces) == unbroken and max(map(len, pieces)) <= 1000


def test_default_pieces_fit_telegram_after_escaping() -> None:
    text = "<b>&amp;</b> " * 2000
    for piece in split_message(text):
        assert len(piece) < TELEGRAM_LIMIT
    assert to_html("<b>a & b</b>") == "&lt;b&gt;a &amp; b&lt;/b&gt;"
