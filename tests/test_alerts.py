"""Which alerts a person sees, in which order, and how an alert reads."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from blether import alerts
from blether.content import ContentLibrary
from tests.alert_files import write_alert

TODAY = dt.date.today()


def test_only_approved_unexpired_alerts_show_most_severe_and_newest_first(
    content_dir: Path, library: ContentLibrary
) -> None:
    write_alert(content_dir, "old-medium", severity="medium", issued=dt.date(2026, 10, 1))
    write_alert(content_dir, "new-medium", severity="medium", issued=dt.date(2026, 11, 20))
    write_alert(content_dir, "high", severity="high", issued=dt.date(2026, 9, 1))
    write_alert(content_dir, "expired", valid_until=TODAY - dt.timedelta(days=1))
    write_alert(content_dir, "draft", approved=False)
    shown = alerts.current(library.alerts(), TODAY)
    assert [a.meta.id for a in shown] == ["high", "new-medium", "old-medium"]


def test_substances_and_areas_choose_the_alerts(content_dir: Path, library: ContentLibrary) -> None:
    write_alert(content_dir, "glasgow-blues", areas="[Glasgow]", substances="[street benzos]")
    write_alert(content_dir, "edinburgh-gear", areas="[Edinburgh]", substances="[heroin]")
    write_alert(content_dir, "scotland-xylazine", areas="[Scotland]", substances="[xylazine]")
    found = library.alerts()

    def ids(**kwargs: object) -> list[str]:
        return sorted(a.meta.id for a in alerts.current(found, TODAY, **kwargs))  # type: ignore[arg-type]

    assert ids(substances=["street benzos"]) == ["glasgow-blues"]
    assert ids(substances=["heroin", "xylazine"]) == ["edinburgh-gear", "scotland-xylazine"]
    assert ids(area="Glasgow") == ["glasgow-blues", "scotland-xylazine"]
    assert ids(area="Scotland") == ["edinburgh-gear", "glasgow-blues", "scotland-xylazine"]
    assert ids(substances=["heroin"], area="Glasgow") == []
    assert ids(substances=["cocaine"]) == []


def test_an_area_is_found_in_what_people_type() -> None:
    areas = ["Glasgow", "Edinburgh", "North Lanarkshire"]
    assert alerts.area_in("any alerts in glasgow the now", areas) == "Glasgow"
    assert alerts.area_in("owt bad in north lanarkshire?", areas) == "North Lanarkshire"
    assert alerts.area_in("anything across scotland", areas) == "Scotland"
    assert alerts.area_in("anything bad going about", areas) is None
    assert alerts.area_in("glasgowsmile", areas) is None


def test_an_alert_reads_heading_title_body_dates_source_and_999(
    content_dir: Path, library: ContentLibrary
) -> None:
    write_alert(content_dir, "one", areas="[Glasgow, Scotland]", valid_until=dt.date(2027, 1, 31))
    alert = next(a for a in library.alerts() if a.meta.id == "one")
    texts = library.alert_texts()
    text = alerts.render(alert, texts)
    assert text.startswith("⚠️ Serious drug alert: Glasgow, All Scotland\nStrong blues")
    assert "31 January 2027" in text and "https://www.publichealthscotland.scot/radar" in text
    assert "999" in text
    updated = alerts.for_subscribers(alert, texts, updated=True)
    assert updated.startswith("Updated: ⚠️ Serious") and texts.sent_footer in updated
