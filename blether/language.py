"""The one normaliser: what every reader of a message (safety net, lexicon, classifier) sees.

Built from `content/language.yml`, which editors own: Scots and texting spellings become standard
words ("nae breathin" -> "no breathing", "dae masel in" -> "do myself in"), and words one or two
typos away from the safety vocabulary are corrected ("unconcious" -> "unconscious") with
rapidfuzz. Apostrophes are dropped so that one spelling of "he's", "hes" and "he s" reaches the
rules. The result is lower case, one space between tokens, punctuation kept as its own token
(clauses are cut there). Running it twice changes nothing more.
"""

from __future__ import annotations

import re

from rapidfuzz import process
from rapidfuzz.distance import OSA

from blether.content.safety_models import LanguageFile
from blether.text import normalise as fold

# A word (letters, digits, inner apostrophes) or one punctuation mark. Emoji and other
# symbols are dropped: they carry no words for the rules, and a flood of them costs nothing.
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z0-9]+)*|[.!?;,:()\-/&+]")
# "heeeelp", "pleeease", "noooo": three or more of a letter say the same as one.
_ELONGATED = re.compile(r"([a-z])\1{2,}")
# Typos are corrected only in words this long: short words sit one typo from too many others.
TYPO_MIN_LENGTH = 6
# "in" itself, "bin", "yin": short words ending in -in are too often real words to guess a g.
DROPPED_G_MIN_LENGTH = 4
CACHE_LIMIT = 50_000


def allowed_typos(target: str) -> int:
    return 2 if len(target) >= 9 else 1


class Normaliser:
    def __init__(self, language: LanguageFile) -> None:
        self._forms = dict(language.forms)
        self._targets = list(dict.fromkeys(language.typo_targets))
        self._target_set = frozenset(self._targets)
        self._keep = frozenset(language.keep)
        self._in_words = frozenset(language.in_words)
        self._i_before = frozenset(language.i_before)
        # The same word is corrected the same way every time: remember the answers.
        self._corrections: dict[str, str] = {}

    def __call__(self, text: str) -> str:
        return self.normalise(text)

    def normalise(self, text: str) -> str:
        words: list[str] = []
        for token in _TOKEN.findall(fold(text).lower()):
            words.append(self.word(token))
        return " ".join(self._scots_i([w for w in words if w]))

    def _scots_i(self, words: list[str]) -> list[str]:
        """ "a cant wake him" -> "i cant wake him"; "am no sure" -> "im no sure". The article
        stays an article before anything else ("a lot", "a load of blues")."""
        if not self._i_before:
            return words
        read = list(words)
        for n, word in enumerate(words):
            after = words[n + 1].split(" ", 1)[0] if n + 1 < len(words) else ""
            before = words[n - 1] if n else ""
            if word in ("a", "ah") and (
                after in self._i_before or (word == "ah" and after == "will")  # not "a will"
            ):
                read[n] = "i"
            elif (
                word == "am"
                and after not in ("", "i", "a", "ah")
                and before not in ("i", "a", "ah")
                and not before.isdigit()
            ):
                read[n] = "im"
        return read

    def word(self, token: str) -> str:
        """One token in standard form: the form map first, then the typo pass."""
        if token in self._forms:
            return self._forms[token]
        bare = token.replace("'", "")
        if bare in self._forms:
            return self._forms[bare]
        squeezed = _ELONGATED.sub(r"\1", bare)
        if squeezed != bare:
            bare = self._forms.get(squeezed, squeezed)
        return self._correct(self._with_g(bare))

    def _with_g(self, word: str) -> str:
        """Scots and texting drop the g of -ing: "savin", "headin". Real -in words stay."""
        if (
            len(word) < DROPPED_G_MIN_LENGTH
            or not word.endswith("in")
            or not word.isalpha()
            or word in self._in_words
            or word in self._target_set
        ):
            return word
        return self._forms.get(word + "g", word + "g")

    def _correct(self, word: str) -> str:
        if (
            len(word) < TYPO_MIN_LENGTH
            or not word.isalpha()
            or word in self._target_set
            or word in self._keep
        ):
            return word
        cached = self._corrections.get(word)
        if cached is None:
            if len(self._corrections) >= CACHE_LIMIT:
                self._corrections.clear()  # unbounded input must not mean unbounded memory
            cached = self._corrections[word] = self._closest(word) or word
        return cached

    def _closest(self, word: str) -> str | None:
        best = process.extractOne(word, self._targets, scorer=OSA.distance, score_cutoff=2)
        if best is None:
            return None
        target, distance, _ = best
        return target if distance <= allowed_typos(target) else None
