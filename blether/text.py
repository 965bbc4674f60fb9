"""Text normalisation applied before the safety net and the lexicon see a message."""

from __future__ import annotations

import re
import unicodedata

# Zero-width and bidi control characters can hide words from a pattern match
# ("o\u200bverdose") without changing what a reader sees.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff\u00ad]")
_APOSTROPHES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u02bc": "'", "`": "'"})
_SPACES = re.compile(r"\s+")


def normalise(text: str) -> str:
    """NFKC-fold, drop invisible characters, unify apostrophes and collapse white space."""
    folded = unicodedata.normalize("NFKC", text)
    folded = _INVISIBLE.sub("", folded).translate(_APOSTROPHES)
    return _SPACES.sub(" ", folded).strip()


def without_lone_surrogates(text: str) -> str:
    """Half an emoji (a lone UTF-16 surrogate, as a cut-off message can hold) becomes U+FFFD.

    Such text cannot be encoded as UTF-8, so it would fail on its way to Rasa and read as an
    outage. Paired surrogates become the character they stand for.
    """
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


_NOT_WORD = re.compile(r"[^\w' ]+")


def comparable(text: str) -> str:
    """Lower case, punctuation and emoji dropped, one space between words: "Aye, I'm OK!!" ->
    "aye i'm ok", for comparing a short reply with a list of words."""
    cleaned = _NOT_WORD.sub(" ", normalise(text).lower())
    return _SPACES.sub(" ", cleaned).strip()
