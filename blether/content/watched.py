"""A file parsed once and again only when it changes on disk, keeping the last good version."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from blether.content.errors import ContentError, Problem
from blether.content.parsing import content_version

T = TypeVar("T")
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Stamp:
    mtime_ns: int
    size: int


class WatchedFile(Generic[T]):
    """Serves the parsed file; a broken edit is logged and the last good version keeps serving."""

    def __init__(self, path: Path, parse: Callable[[Path, bytes], T]) -> None:
        self.path = path
        self._parse = parse
        self._stamp: _Stamp | None = None
        self._good: T | None = None
        self.version: str | None = None
        self.problems: list[Problem] = []

    def get(self) -> T:
        self._refresh()
        if self._good is None:
            raise ContentError(self.problems or [Problem(self.path, "", "could not be loaded")])
        return self._good

    def _refresh(self) -> None:
        try:
            stat = self.path.stat()
        except OSError as error:
            if self._stamp is not None or not self.problems:  # report a disappearance once
                self._report([Problem(self.path, "", f"cannot be read ({error.strerror})")])
            self._stamp = None
            return
        stamp = _Stamp(stat.st_mtime_ns, stat.st_size)
        if stamp == self._stamp:
            return
        self._stamp = stamp
        try:
            raw = self.path.read_bytes()
            parsed = self._parse(self.path, raw)
        except ContentError as error:
            self._report(error.problems)
            return
        except OSError as error:
            self._report([Problem(self.path, "", f"cannot be read ({error.strerror})")])
            return
        if self._good is not None:
            logger.info("content reloaded: %s", self.path)
        self._good = parsed
        self.version = content_version(raw)
        self.problems = []

    def _report(self, problems: list[Problem]) -> None:
        self.problems = problems
        keeping = "; the last good version keeps serving" if self._good is not None else ""
        for problem in problems:
            logger.error("content file rejected: %s%s", problem, keeping)
