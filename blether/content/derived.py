"""Something built from a content file (a matcher, a safety net), rebuilt when the file reloads."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Generic, TypeVar

from blether.content.errors import ContentError

logger = logging.getLogger(__name__)
SOURCE = TypeVar("SOURCE")
BUILT = TypeVar("BUILT")


class Derived(Generic[SOURCE, BUILT]):
    """Builds once per loaded version of the file; keeps the last build if the file breaks."""

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
        if source is not self._source:
            self._built, self._source = self._build(source), source
        return self._built
