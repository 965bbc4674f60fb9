"""The shape of the two files editors own for understanding danger: language.yml and safety.yml.

Each file is checked on its own here (patterns compile, vocabularies exist, no word is mapped two
ways); whether every safety example still gives its expected outcome depends on both files
together and is checked by `blether.safety.verify_examples`.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, Extra, Field, root_validator, validator

# `{name}` in a pattern stands for a vocabulary; regex quantifiers such as `{2}` are digits.
VOCABULARY_REFERENCE = re.compile(r"\{([a-z_]+)\}")
WORD = re.compile(r"^[a-z0-9']+$")


class Strict(BaseModel):
    class Config:
        extra = Extra.forbid
        allow_mutation = False


class LanguageFile(Strict):
    """Dialect and texting forms mapped to standard words, and the typo-tolerant vocabulary."""

    # One spelling -> the standard word(s) it stands for: `tae: to`, `kms: kill myself`.
    forms: dict[str, str]
    # Words the typo pass corrects towards ("unconcious" -> "unconscious").
    typo_targets: list[str] = Field(..., min_items=1)
    # Real words one typo away from a target that must be left alone ("conscious").
    keep: list[str] = []
    # Words that really end in -in ("cabin", "heroin"). Any other word of four letters or more
    # ending in -in is read with its g back ("savin" -> "saving", "headin" -> "heading").
    in_words: list[str] = []
    # Scots writes "I" as "a" or "ah" ("a cant wake him", "ah will"): read as "i" when the next
    # word is one of these (after the forms above), and a lone "am" (not after "i") as "im".
    i_before: list[str] = []

    @validator("forms", pre=True)
    def _quoted(cls, forms: object) -> object:  # noqa: N805
        # YAML reads a bare no, yes, on or off as true/false: "nae: no" would become "False".
        if isinstance(forms, dict):
            for spelling, standard in forms.items():
                if isinstance(standard, bool):
                    raise ValueError(
                        f"'{spelling}': put the word in quotes (YAML reads no, yes, on and "
                        "off as true or false)"
                    )
        return forms

    @validator("forms")
    def _forms(cls, forms: dict[str, str]) -> dict[str, str]:  # noqa: N805
        for spelling, standard in forms.items():
            if not WORD.match(spelling):
                raise ValueError(f"'{spelling}' must be one lower-case word")
            if not standard.strip() or standard != standard.lower():
                raise ValueError(f"'{spelling}' must map to lower-case words, not '{standard}'")
            # A chain (a -> b, b -> c) would make the result depend on how often it runs.
            for word in standard.split():
                if word in forms and word != spelling:
                    raise ValueError(
                        f"'{spelling}' maps to '{standard}', but '{word}' is itself mapped to "
                        f"'{forms[word]}': map '{spelling}' straight to the final word"
                    )
        return forms

    @validator("typo_targets", "keep", "in_words", each_item=True)
    def _one_word(cls, word: str) -> str:  # noqa: N805
        if not WORD.match(word):
            raise ValueError(f"'{word}' must be one lower-case word")
        return word

    @root_validator(skip_on_failure=True)
    def _no_conflicts(cls, values: dict) -> dict:  # noqa: N805
        forms = values["forms"]
        for word in values["typo_targets"]:
            if word in forms:
                raise ValueError(f"typo target '{word}' is also a form mapped to '{forms[word]}'")
        return values


class SafetyPattern(Strict):
    """A regular expression over normalised text, with the messages it is written for."""

    pattern: str
    examples: list[str] = Field(..., min_items=1)
    # For a `not_if`: whether a present-tense marker ("now", "still") in the same clause
    # overrides it. Denials ("not suicidal") keep cancelling; past and hypotheticals do not.
    present_wins: bool = True


class SafetyGroup(Strict):
    patterns: list[SafetyPattern] = Field(..., min_items=1)
    not_if: list[SafetyPattern] = []


class Expectations(Strict):
    """Whole messages and the outcome each must have: the file's own regression test."""

    emergency_overdose: list[str] = []
    crisis_self_harm: list[str] = []
    none: list[str] = []


class SafetyFile(Strict):
    # Named word lists; `{name}` in a pattern matches any of them as whole words.
    vocabulary: dict[str, list[str]] = {}
    # Words that mark a danger as happening now: they override a scoped cancel.
    present: list[str] = []
    # Words and punctuation that end a clause: a cancel only reaches the clause it is in.
    clause_breaks: list[str] = []
    # Everyday phrases with danger words ("dying for a fag"): blanked out before the rules run.
    idioms: list[SafetyPattern] = []
    emergency_overdose: SafetyGroup
    crisis_self_harm: SafetyGroup
    expect: Expectations = Expectations()

    @validator("vocabulary", "present", "clause_breaks", pre=True)
    def _quoted(cls, value: object) -> object:  # noqa: N805
        # YAML reads a bare no, yes, on or off as true/false: [not, no] would hold "False".
        words = [w for v in value.values() for w in v] if isinstance(value, dict) else value
        if isinstance(words, list) and any(isinstance(w, bool) for w in words):
            raise ValueError(
                'put no, yes, on and off in quotes ("no"): YAML reads them as true/false'
            )
        return value

    @validator("vocabulary")
    def _vocabulary(cls, vocabulary: dict[str, list[str]]) -> dict[str, list[str]]:  # noqa: N805
        for name, words in vocabulary.items():
            if not re.match(r"^[a-z_]+$", name):
                raise ValueError(f"vocabulary name '{name}' must be lower-case letters and _")
            if not words:
                raise ValueError(f"vocabulary '{name}' is empty")
        return vocabulary

    @root_validator(skip_on_failure=True)
    def _patterns_compile(cls, values: dict) -> dict:  # noqa: N805
        from blether.safety import compile_pattern

        vocabulary = values["vocabulary"]
        lists = [("idioms", values["idioms"])]
        for topic in ("emergency_overdose", "crisis_self_harm"):
            group: SafetyGroup = values[topic]
            lists += [(f"{topic}.patterns", group.patterns), (f"{topic}.not_if", group.not_if)]
        for kind, patterns in lists:
            for number, pattern in enumerate(patterns):
                try:
                    compile_pattern(pattern.pattern, vocabulary)
                except (KeyError, re.error) as error:
                    raise ValueError(
                        f"{kind}[{number}]: pattern does not compile: {error}"
                    ) from error
        return values
