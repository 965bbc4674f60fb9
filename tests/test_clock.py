"""The clock: the system's in production; a test's file only when in development."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from blether.clock import OffsetFileClock, SystemClock, clock_for


def test_the_test_clock_is_only_honoured_in_development(tmp_path: Path) -> None:
    file = tmp_path / "clock"
    file.write_text("3600")
    assert isinstance(clock_for(str(file), development=False), SystemClock)
    assert isinstance(clock_for("", development=True), SystemClock)
    test_clock = clock_for(str(file), development=True)
    ahead = test_clock.now() - dt.datetime.now(dt.timezone.utc)
    assert dt.timedelta(minutes=59) < ahead < dt.timedelta(minutes=61)


def test_a_missing_or_broken_file_means_no_offset(tmp_path: Path) -> None:
    for content in (None, "", "soon"):
        file = tmp_path / "clock"
        if content is None:
            file.unlink(missing_ok=True)
        else:
            file.write_text(content)
        drift = OffsetFileClock(file).now() - dt.datetime.now(dt.timezone.utc)
        assert abs(drift) < dt.timedelta(seconds=5)
