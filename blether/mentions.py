"""A substance named in a message. Kept apart from the spaCy lexicon so actions stay light."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mention:
    """One substance named in a message; `start`/`end` index the normalised text."""

    text: str
    name: str
    substance_class: str
    start: int
    end: int
    fuzzy: bool = False

    @property
    def label(self) -> str:
        """How to name it back to the person: their word, with the drug it means."""
        said = self.text.lower()
        return self.name if said == self.name.lower() or self.fuzzy else f"{said} ({self.name})"

    @property
    def short(self) -> str:
        """Their own word (or the drug's name, for a typo) to use inside a sentence."""
        return self.name if self.fuzzy else self.text.lower()


def distinct_substances(mentions: list[Mention]) -> list[Mention]:
    """One mention per substance, first mention kept."""
    seen: set[str] = set()
    result = []
    for mention in mentions:
        if mention.name not in seen:
            seen.add(mention.name)
            result.append(mention)
    return result
