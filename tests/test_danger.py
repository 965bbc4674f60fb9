"""The danger model on its own: what it trains on, how it reads, its file, and reading alone."""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import joblib
import pytest

from blether.content import ContentLibrary
from blether.danger import (
    DANGER_MODEL,
    OTHER,
    DangerModel,
    DangerModelSource,
    ReadAlone,
    training_examples,
)
from blether.safety import SafetyNetSource
from tests.conftest import SMALL_DANGER_DATA


def test_training_examples_keep_the_safety_topics_and_fold_every_other_topic(
    tmp_path: Path,
) -> None:
    (tmp_path / "small.yml").write_text(SMALL_DANGER_DATA, encoding="utf-8")
    (tmp_path / "more.yml").write_text(
        'version: "3.1"\nnlu:\n  - synonym: blues\n    examples: |\n      - blue\n'
        "  - intent: couse_opioids\n    examples: |\n"
        "      - [blues](substance) wi [gear](substance)\n",
        encoding="utf-8",
    )
    examples = dict(training_examples(tmp_path))
    assert examples["hes not breathing and wont wake up"] == "emergency_overdose"
    assert examples["this is my last night"] == "crisis_self_harm"
    assert examples["hello there"] == OTHER
    assert examples["blues wi gear"] == OTHER  # annotations read as plain words
    assert "blue" not in examples  # a synonym block is not an example


def test_it_refuses_to_train_without_both_safety_topics() -> None:
    with pytest.raises(ValueError, match="both safety topics"):
        DangerModel.train(["hes not breathing", "hello"], ["emergency_overdose", OTHER])


def test_a_trained_model_reads_danger_and_its_kind(small_danger_model: Path) -> None:
    model = DangerModel.load(small_danger_model)
    emergency = model.read("he is gurgling and i cant wake him")
    crisis = model.read("ive saved up my pills for the weekend")
    harmless = model.read("what are blues")
    assert emergency.topic == "emergency_overdose" and emergency.probability > 0.5
    assert crisis.topic == "crisis_self_harm" and crisis.probability > 0.5
    assert harmless.probability < 0.5


def test_a_saved_model_reads_as_it_did_and_a_foreign_file_is_refused(
    small_danger_model: Path, tmp_path: Path
) -> None:
    model = DangerModel.load(small_danger_model)
    copy = tmp_path / "again.joblib"
    model.save(copy)
    line = "gave away my dog, wont need anything where im going"
    assert DangerModel.load(copy).read(line) == model.read(line)

    joblib.dump({"format": 0, "pipeline": None}, tmp_path / "old.joblib")
    with pytest.raises(ValueError, match="format"):
        DangerModel.load(tmp_path / "old.joblib")
    saved = joblib.load(small_danger_model)
    joblib.dump({**saved, "sklearn": "0.1"}, tmp_path / "other.joblib")
    with pytest.raises(ValueError, match="scikit-learn 0.1"):
        DangerModel.load(tmp_path / "other.joblib")


def test_the_source_loads_once_reloads_a_new_file_and_keeps_the_last_good_one(
    small_danger_model: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "danger.joblib"
    source = DangerModelSource(path)
    with caplog.at_level(logging.WARNING, logger="blether.danger"):
        assert source.get() is None
        assert source.get() is None
    assert len([r for r in caplog.records if "no danger model" in r.getMessage()]) == 1

    shutil.copy(small_danger_model, path)
    first = source.get()
    assert first is not None and source.get() is first  # not read again while unchanged

    path.write_bytes(b"not a model")
    os.utime(path, (1, 1))
    assert source.get() is first  # a broken file keeps the last good model
    shutil.copy(small_danger_model, path)
    os.utime(path, (2, 2))
    second = source.get()
    assert second is not None and second is not first


@pytest.fixture
def read_alone(library: ContentLibrary, small_danger_model: Path) -> ReadAlone:
    return ReadAlone(SafetyNetSource(library), DangerModelSource(small_danger_model), 0.5)


def test_reading_alone_the_rules_come_first(read_alone: ReadAlone) -> None:
    match = read_alone.read("hes not breathing and wont wake up")
    assert match is not None and match.topic == "emergency_overdose"
    assert match.pattern != DANGER_MODEL


def test_reading_alone_the_danger_model_catches_what_no_rule_does(
    read_alone: ReadAlone, library: ContentLibrary
) -> None:
    line = "ive saved up my pills for the weekend"
    assert SafetyNetSource(library).get().check(line) is None
    match = read_alone.read(line)
    assert match is not None and match.topic == "crisis_self_harm"
    assert match.pattern == DANGER_MODEL
    assert read_alone.read("what are blues") is None


def test_reading_alone_a_denial_keeps_the_danger_model_quiet(
    read_alone: ReadAlone, small_danger_model: Path
) -> None:
    line = "im not suicidal, ive saved up my pills for the weekend"
    assert DangerModel.load(small_danger_model).read(line).probability > 0.5
    assert read_alone.read(line) is None


def test_reading_alone_without_a_model_is_the_rules_alone(
    library: ContentLibrary, tmp_path: Path
) -> None:
    alone = ReadAlone(SafetyNetSource(library), DangerModelSource(tmp_path / "none"), 0.5)
    assert alone.read("ive saved up my pills for the weekend") is None
    match = alone.read("hes not breathing and wont wake up")
    assert match is not None and match.topic == "emergency_overdose"
