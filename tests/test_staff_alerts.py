"""`blether alerts list|publish|report`: only approved, current alerts go; nobody is named."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from blether import broadcasts
from blether.cli import main
from blether.db import make_engine, make_sessionmaker, upgrade
from blether.sealing import seal
from tests.alert_files import write_alert

NOW = dt.datetime(2026, 11, 23, 20, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def staff(tmp_path: Path, content_dir: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, Path]:
    url = f"sqlite:///{tmp_path}/app.db"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("BLETHER_CONTENT_DIR", str(content_dir))
    upgrade(url)
    with make_sessionmaker(make_engine(url)).begin() as session:
        for number, area in enumerate(("Glasgow", "Glasgow", "Edinburgh", "Scotland")):
            person = f"person-{number}"
            broadcasts.subscribe(session, person, seal(b"k", number), area, NOW)
    return url, content_dir


def test_drafts_expired_and_unknown_alerts_are_refused(
    staff: tuple[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    _, content = staff
    write_alert(content, "draft-one", approved=False)
    write_alert(content, "old-one", valid_until=dt.date(2026, 1, 1), issued=dt.date(2025, 12, 1))
    assert main(["alerts", "publish", "draft-one", "--no-wait"]) == 1
    assert "is a draft" in capsys.readouterr().err
    assert main(["alerts", "publish", "old-one", "--no-wait"]) == 1
    assert "expired on 2026-01-01" in capsys.readouterr().err
    assert main(["alerts", "publish", "no-such-alert", "--no-wait"]) == 1
    assert "no alert 'no-such-alert'" in capsys.readouterr().err
    # What `blether content check` rejects between files would reach nobody: refused too.
    write_alert(content, "nowhere", areas="[Atlantis]")
    assert main(["alerts", "publish", "nowhere", "--no-wait"]) == 1
    assert "'Atlantis' is not an area" in capsys.readouterr().err
    write_alert(content, "early", issued=dt.date.today() + dt.timedelta(days=2))
    assert main(["alerts", "publish", "early", "--no-wait"]) == 1
    assert "after today" in capsys.readouterr().err
    assert main(["alerts", "report", "never-published"]) == 1


def test_publish_once_update_list_and_report_by_area(
    staff: tuple[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    url, content = staff
    path = write_alert(content, "glasgow-blues", areas="[Glasgow]")
    assert main(["alerts", "publish", "glasgow-blues", "--no-wait"]) == 0
    assert "alert 'glasgow-blues' queued for 3 subscribers" in capsys.readouterr().out
    assert main(["alerts", "publish", "glasgow-blues", "--no-wait"]) == 0
    assert "was published before: nothing new is sent" in capsys.readouterr().out
    sessions = make_sessionmaker(make_engine(url))
    with sessions.begin() as session:
        first = broadcasts.claim_next(session, NOW)
        assert first is not None and "Serious drug alert" in first.text
        broadcasts.delivered(session, first.id, NOW)
        second = broadcasts.claim_next(session, NOW)
        assert second is not None
        broadcasts.blocked(session, second.id, NOW)
    path.write_text(path.read_text().replace("Try a small bit first.", "Try a tiny bit first."))
    assert main(["alerts", "publish", "glasgow-blues", "--no-wait"]) == 0
    assert "updated alert 'glasgow-blues' queued for 2 subscribers" in capsys.readouterr().out
    assert main(["alerts", "list"]) == 0
    listing = capsys.readouterr().out
    line = next(row for row in listing.splitlines() if row.startswith("glasgow-blues"))
    assert "current" in line and "this version" in line
    assert "nitazenes-in-street-benzos" in listing and "draft" in listing
    assert "subscriptions by area: Edinburgh 1, Glasgow 1, Scotland 1" in listing
    assert main(["alerts", "report", "glasgow-blues"]) == 0
    report = capsys.readouterr().out
    assert "version 1 (first" in report and "3 subscribers: 1 sent, 0 failed, 1 blocked" in report
    assert "version 2 (update" in report and "2 waiting" in report
    assert "person-" not in listing + report
