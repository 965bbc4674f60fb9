"""Shared fixtures: a real copy of the content folder under tmp_path, and the trained model."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from blether.content import ContentLibrary

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "blether.tar.gz"


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(ROOT / "content", target)
    return target


@pytest.fixture
def library(content_dir: Path) -> ContentLibrary:
    return ContentLibrary(content_dir)


@pytest.fixture(scope="session")
def model_path() -> Path:
    if not MODEL.exists():
        pytest.fail("no trained model: run the tests through `make test`, which trains it")
    return MODEL


def rewrite(path: Path, old: str, new: str) -> None:
    """Edit a content file the way an editor would, making sure the change is seen."""
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))
