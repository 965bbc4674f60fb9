"""A small classifier trained for one question: is this message an emergency, a crisis, or neither?

The topic classifier inside Rasa spreads its belief over forty topics and is tuned for the
right topic; this one is trained on the same examples (data/nlu, every safety topic against
everything else, classes weighted equally), plus its own (danger_data: everyday look-alikes of
indirect plans, which would blur Rasa's topics), for one job: noticing danger said in ways no rule
foresaw ("gave ma jacket tae the boys, wullnae need it where im goin"). It reads the
normaliser's output, over character and word n-grams (scikit-learn, already installed with
Rasa), trains in seconds and needs no TensorFlow, so the Telegram bridge can use it when Rasa
is down or a worker has the conversation, and Rasa's pipeline uses the same file
(blether.nlu.components.SafetyNetClassifier).

Built by `blether danger train` (`make model` runs it) into models/danger.joblib. A missing or
unreadable file leaves the rules alone in charge, logged once: never an error for the person.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from blether.safety import Doubt, SafetyMatch, SafetyNet, SafetyNetSource
from blether.topics import SAFETY

logger = logging.getLogger(__name__)

OTHER = "other"
# How a match by this model is named where a rule's source would be (logs, the console).
DANGER_MODEL = "danger model"
# Bumped when what is saved changes shape: an old file is then refused, not misread.
FORMAT = 1
_ANNOTATION = re.compile(r"\[([^\]]*)\]\([^)]*\)")


@dataclass(frozen=True)
class DangerReading:
    """`probability` that the message is an emergency or a crisis; `topic` the likelier one."""

    topic: str
    probability: float


def training_examples(data_dir: Path) -> list[tuple[str, str]]:
    """(message, label) from Rasa's NLU files: a safety topic, or OTHER for every other topic."""
    examples: list[tuple[str, str]] = []
    for path in sorted(data_dir.rglob("*.yml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for block in document.get("nlu") or []:
            intent = block.get("intent") if isinstance(block, dict) else None
            if not intent:
                continue  # synonyms, lookups, regexes
            label = intent if intent in SAFETY else OTHER
            for line in str(block.get("examples", "")).splitlines():
                text = _ANNOTATION.sub(r"\1", line.strip().removeprefix("- ")).strip()
                if text:
                    examples.append((text, label))
    return examples


class DangerModel:
    """A trained classifier and what it reads: call `read` with normalised text."""

    def __init__(self, pipeline: Any) -> None:
        self._pipeline = pipeline
        self._classes = [str(c) for c in pipeline.classes_]

    @classmethod
    def train(cls, texts: list[str], labels: list[str]) -> DangerModel:
        """Deterministic: the same examples give the same model."""
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline, make_union

        if not set(SAFETY) <= set(labels) or OTHER not in labels:
            raise ValueError("training needs examples of both safety topics and of other topics")
        features = make_union(
            TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2),
            TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True),
        )
        # Balanced classes: a few hundred danger examples weigh as much as thousands of others.
        classifier = LogisticRegression(C=10.0, max_iter=2000, class_weight="balanced")
        pipeline = make_pipeline(features, classifier)
        pipeline.fit(texts, labels)
        return cls(pipeline)

    def read(self, clean: str) -> DangerReading:
        probabilities = dict(
            zip(self._classes, self._pipeline.predict_proba([clean])[0], strict=True)
        )
        emergency, crisis = (float(probabilities.get(t, 0.0)) for t in SAFETY)
        topic = SAFETY[0] if emergency >= crisis else SAFETY[1]
        return DangerReading(topic, emergency + crisis)

    def save(self, path: Path) -> None:
        import joblib
        import sklearn

        path.parent.mkdir(parents=True, exist_ok=True)
        saved = {"format": FORMAT, "sklearn": sklearn.__version__, "pipeline": self._pipeline}
        joblib.dump(saved, path)

    @classmethod
    def load(cls, path: Path) -> DangerModel:
        """Raises ValueError for a file of another format or scikit-learn version."""
        import joblib
        import sklearn

        # Our own build output (models/), never a file from outside: joblib unpickles.
        saved = joblib.load(path)
        if not isinstance(saved, dict) or saved.get("format") != FORMAT:
            raise ValueError(f"{path} is not a danger model of format {FORMAT}")
        if saved.get("sklearn") != sklearn.__version__:
            raise ValueError(
                f"{path} was built with scikit-learn {saved.get('sklearn')}, "
                f"this is {sklearn.__version__}: run `blether danger train`"
            )
        return cls(saved["pipeline"])


def train_from(
    data_dirs: list[Path], normalise: Callable[[str], str], out: Path
) -> tuple[DangerModel, dict[str, int]]:
    """Train on Rasa's NLU files (data/nlu) and the danger model's own (danger_data),
    normalised as every message is before it is read, and save it."""
    examples = [e for folder in data_dirs for e in training_examples(folder)]
    model = DangerModel.train([normalise(t) for t, _ in examples], [label for _, label in examples])
    model.save(out)
    return model, dict(Counter(label for _, label in examples))


class DangerModelSource:
    """The model in a file, loaded on first use and again when the file changes.

    None while there is no usable file (logged once per file version): the rules still run.
    """

    def __init__(self, path: Path) -> None:
        self._path = path
        self._stamp: tuple[float, int] | None = None
        self._model: DangerModel | None = None
        self._warned_for: object = None

    def get(self) -> DangerModel | None:
        try:
            stat = self._path.stat()
        except OSError:
            self._warn(
                ("missing", str(self._path)), "no danger model at %s: the rules alone read danger"
            )
            return self._model
        stamp = (stat.st_mtime, stat.st_size)
        if stamp != self._stamp:
            self._stamp = stamp
            try:
                self._model = DangerModel.load(self._path)
            except Exception as error:  # a half-written or foreign file: keep the last good one
                self._warn(stamp, "danger model unusable (%s): keeping the last one", error)
        return self._model

    def _warn(self, key: object, message: str, *args: object) -> None:
        if key != self._warned_for:
            self._warned_for = key
            logger.warning(message, *args)


class ReadAlone:
    """What reads danger where Rasa does not (Rasa down, a worker chatting, a flood held back).

    The rules first; where none matched, the danger model above `above`, unless the rules
    read the words as an idiom or a denial. With no check possible here a danger-model match
    gets the card, as a rule's does: a card too many costs far less than a missed emergency.
    """

    def __init__(self, net: SafetyNetSource, model: DangerModelSource | None, above: float) -> None:
        self._net, self._model, self._above = net, model, above

    def read(self, text: str) -> SafetyMatch | None:
        net = self._net.get()
        clean = net.normalise(text)
        return net.check_normalised(clean) or self._beyond_rules(net, clean)

    def beyond_rules(self, text: str) -> SafetyMatch | None:
        """The danger model's reading of a message the rules have read already and passed."""
        net = self._net.get()
        return self._beyond_rules(net, net.normalise(text))

    def _beyond_rules(self, net: SafetyNet, clean: str) -> SafetyMatch | None:
        model = self._model.get() if self._model is not None else None
        if model is None:
            return None
        reading = model.read(net.for_danger_model(clean))
        if reading.probability < self._above:
            return None
        if net.doubt(clean, reading.topic) is Doubt.HARMLESS:
            return None
        return SafetyMatch(reading.topic, DANGER_MODEL)
