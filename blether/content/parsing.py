"""Turn the bytes of a content file into a validated model, or a list of problems."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from blether.content.alert_models import BODY_LIMIT, Alert, AlertFile
from blether.content.errors import ContentError, Problem
from blether.content.models import Topic, TopicFile

M = TypeVar("M", bound=BaseModel)
FRONT_MATTER_FENCE = "---"


def content_version(raw: bytes) -> str:
    """A short, stable hash of a file's bytes: which version of an answer was served."""
    return hashlib.sha256(raw).hexdigest()[:12]


# libyaml's parser when PyYAML was built with it (the wheels are): content is parsed again on
# every edit and for every check, and the pure-Python parser is most of that time.
_SAFE_LOADER: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _UniqueKeyLoader(_SAFE_LOADER):  # type: ignore[misc,valid-type]
    """PyYAML keeps the last of two equal keys without a word: in content that hides a word
    mapped two ways, or a field written twice. Here it is an error, with its line."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, str | int | float | bool) and key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"'{key}' is given twice", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _load_yaml(path: Path, text: str, line_offset: int = 0) -> Any:
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1 + line_offset}" if mark is not None else "yaml"
        problem = getattr(error, "problem", None) or str(error)
        raise ContentError([Problem(path, where, f"YAML syntax: {problem}")]) from error


def _validate(path: Path, model: type[M], data: Any) -> M:
    if not isinstance(data, dict):
        raise ContentError([Problem(path, "", "expected a mapping of fields at the top level")])
    try:
        return model.parse_obj(data)
    except ValidationError as error:
        problems = [
            Problem(path, ".".join(str(p) for p in e["loc"] if p != "__root__"), e["msg"])
            for e in error.errors()
        ]
        raise ContentError(problems) from error


def _decode(path: Path, raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ContentError([Problem(path, "", f"not UTF-8 text ({error.reason})")]) from error


def parse_yaml_file(path: Path, raw: bytes, model: type[M]) -> M:
    return _validate(path, model, _load_yaml(path, _decode(path, raw)))


def _front_matter(path: Path, raw: bytes) -> tuple[Any, str]:
    """YAML front matter between --- fences, and the Markdown body after it."""
    text = _decode(path, raw).replace("\r\n", "\n")
    lines = text.split("\n")
    if not lines or lines[0].strip() != FRONT_MATTER_FENCE:
        raise ContentError([Problem(path, "front matter", "the file must start with a --- line")])
    try:
        end = next(i for i, line in enumerate(lines[1:], 1) if line.strip() == FRONT_MATTER_FENCE)
    except StopIteration:
        raise ContentError(
            [Problem(path, "front matter", "no closing --- line after the front matter")]
        ) from None
    data = _load_yaml(path, "\n".join(lines[1:end]), line_offset=1)
    body = "\n".join(lines[end + 1 :]).strip()
    return data, body


def _matching_id(path: Path, file_id: str) -> None:
    if file_id != path.stem:
        raise ContentError([Problem(path, "id", f"'{file_id}' does not match the file name")])


def parse_topic(path: Path, raw: bytes) -> Topic:
    """Parse an advice file: YAML front matter between --- fences, then a Markdown body."""
    data, body = _front_matter(path, raw)
    meta = _validate(path, TopicFile, data)
    _matching_id(path, meta.id)
    if not body:
        raise ContentError(
            [Problem(path, "body", "the advice text after the front matter is empty")]
        )
    return Topic(meta=meta, body=body, path=str(path), version=content_version(raw))


def parse_alert(path: Path, raw: bytes) -> Alert:
    """Parse a drug alert: front matter, then a short Markdown body."""
    data, body = _front_matter(path, raw)
    meta = _validate(path, AlertFile, data)
    _matching_id(path, meta.id)
    if not body:
        raise ContentError(
            [Problem(path, "body", "the alert text after the front matter is empty")]
        )
    if len(body) > BODY_LIMIT:
        raise ContentError(
            [Problem(path, "body", f"{len(body)} characters: keep an alert under {BODY_LIMIT}")]
        )
    return Alert(meta=meta, body=body, path=str(path), version=content_version(raw))
