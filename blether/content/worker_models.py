"""content/worker_replies.yml: the saved replies workers send in a live chat with /r NAME."""

from __future__ import annotations

import re

from pydantic import Field, root_validator, validator

from blether.content.models import Reviewed, Source, Strict

# A reply that speaks of an overdose or of wanting to die must carry the numbers with it,
# as every overdose and crisis answer of Blether's does.
EMERGENCY_WORDS = re.compile(r"overdos|not breathing|won't wake|wont wake|\bod\b", re.I)
CRISIS_WORDS = re.compile(
    r"suicid|kill (your|my)self|end (it|your life)|want(ing)? to die|harm(ing)? yourself|act on it",
    re.I,
)
CRISIS_NUMBERS = ("116 123", "0800 83 85 87", "111")


class WorkerReply(Strict):
    name: str = Field(..., regex=r"^[a-z0-9][a-z0-9-]{0,29}$")
    text: str = Field(..., min_length=1, max_length=3000)
    sources: list[Source] = []

    @validator("text")
    def _placeholders_and_numbers(cls, text: str) -> str:  # noqa: N805
        unknown = set(re.findall(r"\{([^}]*)\}", text)) - {"name"}
        if unknown:
            raise ValueError(f"unknown placeholder {{{sorted(unknown)[0]}}} ({{name}} only)")
        if (EMERGENCY_WORDS.search(text) or CRISIS_WORDS.search(text)) and "999" not in text:
            raise ValueError("a reply about an overdose or a crisis must give 999")
        if CRISIS_WORDS.search(text):
            missing = [n for n in CRISIS_NUMBERS if n not in text]
            if missing:
                raise ValueError(f"a reply about a crisis must give the helplines ({missing[0]})")
        return text


class WorkerRepliesFile(Reviewed):
    replies: list[WorkerReply] = Field(..., min_items=1)

    @root_validator(skip_on_failure=True)
    def _unique_names(cls, values: dict) -> dict:  # noqa: N805
        seen: set[str] = set()
        for reply in values["replies"]:
            if reply.name in seen:
                raise ValueError(f"replies: the name '{reply.name}' is used twice")
            seen.add(reply.name)
        return values

    def find(self, name: str) -> WorkerReply | None:
        wanted = name.strip().lower()
        return next((r for r in self.replies if r.name == wanted), None)
