"""The worker's command line, run as a worker would run it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from blether.cli import build_parser, format_entities, format_reply
from tests.conftest import ROOT


def test_reply_and_entity_formatting() -> None:
    assert format_reply({"text": "Hi", "buttons": [{"title": "A", "payload": "/a"}]}) == "Hi\n[A]"
    shown = format_entities(
        [{"value": "heroin", "additional_info": {"said": "gear", "class": "opioid"}}]
    )
    assert shown == "gear -> heroin (opioid)"
    assert format_entities([]) == "none"


def test_parser_knows_the_commands() -> None:
    assert build_parser().parse_args(["eval", "x.yml"]).file == "x.yml"
    assert build_parser().parse_args(["ask", "hi there"]).text == "hi there"


def blether(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "blether.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.model
def test_ask_shows_topic_entities_file_version_and_reply(model_path: Path, tmp_path: Path) -> None:
    env = {**os.environ, "BLETHER_ACTION_PORT": str(free_port()), "BLETHER_MODEL": str(model_path)}
    result = blether("ask", "is it safe to take blues wae methadone", env=env)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "topic:       couse_opioids" in out
    assert "blues -> street benzos (benzodiazepine)" in out
    assert "answered by: topics/couse_opioids.md@" in out and "combinations.yml@" in out
    assert "Dangerous mix: blues (street benzos) + methadone." in out
    assert "[Naloxone]" in out


@pytest.mark.model
def test_ask_shows_the_safety_net(model_path: Path) -> None:
    env = {**os.environ, "BLETHER_ACTION_PORT": str(free_port()), "BLETHER_MODEL": str(model_path)}
    result = blether("ask", "my pal's no breathing", env=env)
    assert result.returncode == 0, result.stderr
    assert "safety net:  forced emergency_overdose" in result.stdout
    assert "Call 999 now and ask for an ambulance." in result.stdout


@pytest.mark.model
def test_eval_fails_when_a_safety_message_is_missed(model_path: Path, tmp_path: Path) -> None:
    data = tmp_path / "eval.yml"
    data.write_text(
        'version: "3.1"\nnlu:\n  - intent: emergency_overdose\n    examples: |\n'
        "      - what are blues\n  - intent: crisis_self_harm\n    examples: |\n"
        "      - i want to die\n"
    )
    result = blether("eval", str(data), "--model", str(model_path), env=dict(os.environ))
    assert result.returncode == 1
    assert "safety recall emergency_overdose: 0.0%" in result.stdout


def test_danger_train_writes_a_model_and_says_what_it_learnt_from(tmp_path: Path) -> None:
    from tests.conftest import SMALL_DANGER_DATA

    (tmp_path / "nlu").mkdir()
    (tmp_path / "nlu" / "small.yml").write_text(SMALL_DANGER_DATA, encoding="utf-8")
    out = tmp_path / "models" / "danger.joblib"
    result = blether(
        "danger",
        "train",
        "--data",
        str(tmp_path / "nlu"),
        "--out",
        str(out),
        env=dict(os.environ),
    )
    assert result.returncode == 0, result.stderr
    assert out.exists()
    assert "crisis_self_harm 5, emergency_overdose 5, other 9" in result.stdout
    empty = tmp_path / "empty"
    empty.mkdir()
    refused = blether(
        "danger", "train", "--data", str(empty), "--out", str(out), env=dict(os.environ)
    )
    assert refused.returncode == 1 and "both safety topics" in refused.stderr


@pytest.mark.model
def test_safety_eval_reads_three_ways(model_path: Path, tmp_path: Path) -> None:
    data = tmp_path / "safety.yml"
    data.write_text(
        'version: "3.1"\nnlu:\n  - intent: crisis_self_harm\n    examples: |\n'
        "      - i want to die\n  - intent: out_of_scope\n    examples: |\n"
        "      - dying for a fag\n"
    )
    result = blether(
        "eval", "--safety", str(data), "--model", str(model_path), env=dict(os.environ)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for reader in ("whole model", "bridge alone", "rules alone"):
        assert reader in result.stdout
    missing = blether(
        "eval",
        "--safety",
        str(data),
        "--model",
        str(model_path),
        env={**os.environ, "BLETHER_DANGER_MODEL": str(tmp_path / "none.joblib")},
    )
    assert missing.returncode == 2 and "no danger model" in missing.stderr
