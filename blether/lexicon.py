"""Finds the substances a message names, street names and misspellings included (spaCy)."""

from __future__ import annotations

import spacy
from rapidfuzz import process
from rapidfuzz.distance import OSA
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from blether.content.models import SubstanceFile
from blether.mentions import Mention
from blether.text import normalise

# Shorter names sit one typo away from everyday words ("gear"/"year", "gabbies"/"gabbles",
# "heroin"/"heron"), so only long names are matched loosely, and only the longest with two
# typos. Common misspellings of shorter names are listed in substances.yml instead.
FUZZY_MIN_LENGTH = 8
TWO_TYPOS_MIN_LENGTH = 11
MAX_TYPOS = 2
# How far a `needs_context` name may sit from the drug word or substance that vouches for it.
CONTEXT_WINDOW = 2
# The only words allowed between a drug word and the name it vouches for: "a bag of billy"
# counts, "on the grass" does not.
FILLERS = frozenset({"a", "an", "of", "ae", "o"})
_PLAIN, _CONTEXT = "plain:", "context:"


def _allowed_typos(word: str) -> int:
    return MAX_TYPOS if len(word) >= TWO_TYPOS_MIN_LENGTH else 1


def _key(name: str) -> str:
    return normalise(name).lower()


class SubstanceLexicon:
    """Built from `substances.yml`; exact phrases first, then a typo-tolerant pass.

    A name listed under `needs_context` ("billy", "charlie", "blue") is an ordinary word or a
    first name as often as a drug, so it counts only when a drug word comes just before it
    ("took billy", "a bag of charlie") or it is joined to another substance ("blues and
    billy"). "Billy took blues" names blues alone.
    """

    def __init__(self, substances: SubstanceFile) -> None:
        self._nlp = spacy.blank("en")
        self._matcher = PhraseMatcher(self._nlp.vocab, attr="LOWER")
        self._by_key: dict[str, tuple[str, str]] = {}
        self._classes: dict[str, str] = {}
        self._context_words = frozenset(_key(w) for w in substances.context_words)
        self._joining_words = frozenset(_key(w) for w in substances.joining_words)
        fuzzy: dict[str, list[str]] = {}
        for substance in substances.substances:
            self._classes[substance.name] = substance.substance_class
            context = {_key(n) for n in substance.needs_context}
            plain = {_key(n) for n in (substance.name, *substance.names)} - context
            for key in plain | context:
                self._by_key[key] = (substance.name, substance.substance_class)
            # Context names are never matched loosely: "stoned" is not "stones".
            for key in sorted(k for k in plain if " " not in k and len(k) >= FUZZY_MIN_LENGTH):
                fuzzy.setdefault(key[0], []).append(key)
            for prefix, keys in ((_PLAIN, plain), (_CONTEXT, context)):
                if keys:
                    patterns = [self._nlp.make_doc(k) for k in sorted(keys)]
                    self._matcher.add(prefix + substance.name, patterns)
        self._fuzzy_keys = fuzzy

    def find(self, text: str) -> list[Mention]:
        """Mentions in order of appearance, in `normalise(text)` coordinates."""
        doc = self._nlp.make_doc(normalise(text))
        spans = filter_spans(
            [Span(doc, start, end, label=match_id) for match_id, start, end in self._matcher(doc)]
        )
        found = [self._mention(span) for span in spans if span.label_.startswith(_PLAIN)]
        covered = {i for span in spans for i in range(span.start, span.end)}
        for token in doc:
            if token.i in covered or not token.is_alpha or len(token.text) < FUZZY_MIN_LENGTH - 1:
                continue
            key = self._closest(token.lower_)
            if key is not None:
                name, cls = self._by_key[key]
                found.append(
                    Mention(
                        token.text, name, cls, token.idx, token.idx + len(token.text), fuzzy=True
                    )
                )
                covered.add(token.i)
        found += self._in_context(doc, [s for s in spans if s.label_.startswith(_CONTEXT)], found)
        return sorted(found, key=lambda m: m.start)

    def _mention(self, span: Span) -> Mention:
        name = span.label_.split(":", 1)[1]
        return Mention(span.text, name, self._classes[name], span.start_char, span.end_char)

    def _in_context(self, doc: Doc, pending: list[Span], found: list[Mention]) -> list[Mention]:
        """The context names that a drug word or a neighbouring substance vouches for.

        Repeated until nothing changes, so one vouched name can vouch for the next
        ("took charlie and tina").
        """
        substance_tokens = {t.i for m in found for t in doc if m.start <= t.idx < m.end}
        confirmed: list[Mention] = []
        changed = True
        while changed:
            changed = False
            for span in list(pending):
                if self._cued(doc, span) or self._joined(doc, span, substance_tokens):
                    confirmed.append(self._mention(span))
                    substance_tokens.update(range(span.start, span.end))
                    pending.remove(span)
                    changed = True
        return confirmed

    def _cued(self, doc: Doc, span: Span) -> bool:
        for token in reversed(doc[max(0, span.start - CONTEXT_WINDOW) : span.start]):
            if token.lower_ in self._context_words:
                return True
            if token.lower_ not in FILLERS:
                return False
        return False

    def _joined(self, doc: Doc, span: Span, substance_tokens: set[int]) -> bool:
        """Another substance within the window, with only joining words ("and", ",") between."""
        for step, i in ((-1, span.start - 1), (1, span.end)):
            for _ in range(CONTEXT_WINDOW):
                if not 0 <= i < len(doc):
                    break
                if i in substance_tokens:
                    return True
                if doc[i].lower_ not in self._joining_words:
                    break
                i += step
        return False

    def _closest(self, word: str) -> str | None:
        if word in self._by_key:
            return None  # an exact name (a context name without its context) is not a typo
        # People rarely get the first letter wrong, and ordinary words one letter away from a
        # name mostly differ there ("allies"/"vallies", "nannies"/"xannies").
        keys = self._fuzzy_keys.get(word[:1], [])
        matches = process.extract(
            word, keys, scorer=OSA.distance, score_cutoff=MAX_TYPOS, limit=None
        )
        allowed = [(score, index) for key, score, index in matches if score <= _allowed_typos(key)]
        return keys[min(allowed)[1]] if allowed else None
