"""The evaluation files measure language the model has not been trained on."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
_ANNOTATION = re.compile(r"\[([^\]]*)\]\([^)]*\)")


def _messages(path: Path) -> set[str]:
    found: set[str] = set()
    for block in yaml.safe_load(path.read_text(encoding="utf-8")).get("nlu", []):
        for line in str(block.get("examples", "")).splitlines():
            text = _ANNOTATION.sub(r"\1", line.strip().removeprefix("- ")).strip()
            if text:
                found.add(" ".join(re.sub(r"[^\w\s]", "", text.lower()).split()))
    return found


def test_no_evaluation_message_is_also_a_training_example() -> None:
    training: set[str] = set()
    # The danger model's own examples (danger_data/) are training data too.
    for path in sorted(
        [*(ROOT / "data" / "nlu").glob("*.yml"), *(ROOT / "danger_data").glob("*.yml")]
    ):
        training |= _messages(path)
    for name in ("nlu_eval.yml", "safety_eval.yml"):
        shared = sorted(_messages(ROOT / "tests" / name) & training)
        assert not shared, f"{name} shares {len(shared)} messages with data/nlu: {shared[:5]}"
