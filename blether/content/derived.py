"""Something built from a content file (a matcher, a safety net), rebuilt when the file reloads."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Generic, TypeVar

from blether.content.errors import ContentError

logger = logging.getLogger(__name__)
SOURCE = TypeVar("SOURCE")
BUILT = TypeVar("BUILT")


def _same(a: object, b: object) -> bool:
    """The same loaded version: for several files (a tuple), each one the same object."""
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(x is y for x, y in zip(a, b, strict=True))
    return a is b


class Derived(Generic[SOURCE, BUILT]):
    """Builds once per loaded version of the file(s); keeps the last build if a file breaks.

    `load` may return a tuple when the build needs several files; `build` may refuse a
    combination with ContentError (an edit that contradicts another file), which also keeps
    the last build.
    """

    def __init__(self, load: Callable[[], SOURCE], build: Callable[[SOURCE], BUILT]) -> None:
        self._load, self._build = load, build
        self._source: SOURCE | None = None
        self._built: BUILT | None = None

    def get(self) -> BUILT | None:
        try:
            source = self._load()
        except ContentError as error:
            logger.error("content unavailable: %s", error)
            return self._built
        if not _same(source, self._source):
            self._source = source
            try:
                self._built = self._build(source)
            except ContentError as error:
                logger.error("content refused: %s", error)
        return self._built
