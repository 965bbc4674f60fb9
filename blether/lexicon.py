"""Finds the substances a message names, street names and misspellings included (spaCy)."""

from __future__ import annotations

import spacy
from spacy.matcher import PhraseMatcher
from spacy.tokens import Span
from spacy.util import filter_spans

from blether.content.models import SubstanceFile
from blether.mentions import Mention
from blether.text import normalise

# Short names ("gear", "coke", "smack") sit one typo away from everyday words, so only
# longer names are matched loosely.
FUZZY_MIN_LENGTH = 6


def _edit_distance(a: str, b: str, limit: int) -> int:
    """Damerau-Levenshtein (adjacent swaps count once), stopping early past `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def _allowed_typos(word: str) -> int:
    return 2 if len(word) >= 9 else 1


class SubstanceLexicon:
    """Built from `substances.yml`; exact phrases first, then a typo-tolerant pass."""

    def __init__(self, substances: SubstanceFile) -> None:
        self._nlp = spacy.blank("en")
        self._matcher = PhraseMatcher(self._nlp.vocab, attr="LOWER")
        self._by_key: dict[str, tuple[str, str]] = {}
        self._fuzzy_words: dict[str, str] = {}
        self._classes: dict[str, str] = {}
        for substance in substances.substances:
            self._classes[substance.name] = substance.substance_class
            for name in {substance.name, *substance.names}:
                key = normalise(name).lower()
                self._by_key[key] = (substance.name, substance.substance_class)
                if " " not in key and len(key) >= FUZZY_MIN_LENGTH:
                    self._fuzzy_words[key] = key
            patterns = [
                self._nlp.make_doc(normalise(n)) for n in {substance.name, *substance.names}
            ]
            self._matcher.add(substance.name, patterns)

    def find(self, text: str) -> list[Mention]:
        """Mentions in order of appearance, in `normalise(text)` coordinates."""
        doc = self._nlp.make_doc(normalise(text))
        spans = [
            Span(doc, start, end, label=match_id) for match_id, start, end in self._matcher(doc)
        ]
        exact = filter_spans(spans)
        mentions = [
            Mention(
                span.text, span.label_, self._classes[span.label_], span.start_char, span.end_char
            )
            for span in exact
        ]
        covered = {i for span in exact for i in range(span.start, span.end)}
        for token in doc:
            if token.i in covered or not token.is_alpha or len(token.text) < FUZZY_MIN_LENGTH - 1:
                continue
            key = self._closest(token.lower_)
            if key is not None:
                name, cls = self._by_key[key]
                mentions.append(
                    Mention(
                        token.text, name, cls, token.idx, token.idx + len(token.text), fuzzy=True
                    )
                )
        return sorted(mentions, key=lambda m: m.start)

    def _closest(self, word: str) -> str | None:
        best: tuple[int, str] | None = None
        for key in self._fuzzy_words:
            limit = _allowed_typos(key)
            distance = _edit_distance(word, key, limit)
            if distance <= limit and (best is None or distance < best[0]):
                best = (distance, key)
        return best[1] if best else None
