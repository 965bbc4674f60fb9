"""Alert subscriptions and broadcasts: once per version, every subscriber once, nothing lost."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from blether import broadcasts
from blether.sealing import seal
from blether.tables import alert_deliveries, alert_subscriptions

KEY = b"test-key"
NOW = dt.datetime(2026, 11, 23, 20, 0, tzinfo=dt.timezone.utc)


def text(updated: bool) -> str:
    return ("Updated: " if updated else "") + "Bad blues in Glasgow"


def subscribe(session, person: str, area: str) -> bool:  # type: ignore[no-untyped-def]
    return broadcasts.subscribe(session, person, seal(KEY, hash(person) % 10**9), area, NOW)


def drain(session) -> list[broadcasts.Delivery]:  # type: ignore[no-untyped-def]
    claimed = []
    while (delivery := broadcasts.claim_next(session, NOW)) is not None:
        claimed.append(delivery)
    return claimed


def test_subscribing_is_per_area_and_stopping_removes_them(app_sessions: sessionmaker) -> None:
    with app_sessions.begin() as session:
        assert subscribe(session, "p1", "Glasgow")
        assert not subscribe(session, "p1", "Glasgow")  # once, the chat renewed
        assert subscribe(session, "p1", "Scotland")
        assert broadcasts.areas_of(session, "p1") == ["Glasgow", "Scotland"]
        assert broadcasts.unsubscribe(session, "p1", "Glasgow") == 1
        assert broadcasts.areas_of(session, "p1") == ["Scotland"]
        subscribe(session, "p1", "Edinburgh")
        assert broadcasts.unsubscribe(session, "p1") == 2
        assert broadcasts.areas_of(session, "p1") == []


def test_a_version_is_published_once_to_each_subscriber_of_its_areas(
    app_sessions: sessionmaker,
) -> None:
    with app_sessions.begin() as session:
        subscribe(session, "glasgow", "Glasgow")
        subscribe(session, "both", "Glasgow")
        subscribe(session, "both", "Scotland")  # two matching areas: still one message
        subscribe(session, "everywhere", "Scotland")
        subscribe(session, "edinburgh", "Edinburgh")
        first = broadcasts.publish(session, "bad-blues", "v1", ["Glasgow"], text, NOW)
        assert (first.queued, first.updated, first.already) == (3, False, False)
        again = broadcasts.publish(session, "bad-blues", "v1", ["Glasgow"], text, NOW)
        assert again.already and again.queued == 0 and again.broadcast_id == first.broadcast_id
        claimed = drain(session)
        assert len(claimed) == 3 and {d.text for d in claimed} == {"Bad blues in Glasgow"}
        people = session.execute(sa.select(alert_deliveries.c.person)).scalars().all()
        assert sorted(people) == ["both", "everywhere", "glasgow"]


def test_an_edited_alert_is_updated_for_those_who_had_it_and_plain_for_newcomers(
    app_sessions: sessionmaker,
) -> None:
    with app_sessions.begin() as session:
        for person, area in (("g", "Glasgow"), ("e", "Edinburgh"), ("s", "Scotland")):
            subscribe(session, person, area)
        broadcasts.publish(session, "bad-blues", "v1", ["Glasgow"], text, NOW)
        for delivery in drain(session):  # g and s got the first version
            broadcasts.delivered(session, delivery.id, NOW)
        update = broadcasts.publish(session, "bad-blues", "v2", ["Scotland"], text, NOW)
        assert update.updated and update.queued == 3
        assert broadcasts.published_versions(session, "bad-blues") == ["v1", "v2"]
        second = drain(session)
        people = dict(
            session.execute(
                sa.select(alert_deliveries.c.id, alert_deliveries.c.person).where(
                    alert_deliveries.c.broadcast_id == update.broadcast_id
                )
            ).all()
        )
        got = {people[d.id]: d.text for d in second}
        assert got == {
            "g": "Updated: Bad blues in Glasgow",
            "s": "Updated: Bad blues in Glasgow",
            "e": "Bad blues in Glasgow",
        }


def test_sent_failed_blocked_and_the_report_by_area(app_sessions: sessionmaker) -> None:
    with app_sessions.begin() as session:
        for person, area in (("a", "Glasgow"), ("b", "Glasgow"), ("c", "Edinburgh")):
            subscribe(session, person, area)
        broadcasts.publish(session, "x", "v1", ["Scotland"], text, NOW)
        a, b, c = drain(session)
        broadcasts.delivered(session, a.id, NOW)
        broadcasts.blocked(session, b.id, NOW)
        assert not broadcasts.failed(session, c, NOW)  # tried again later
        assert broadcasts.claim_next(session, NOW) is None  # not before RETRY_AFTER
        later = NOW + broadcasts.RETRY_AFTER + dt.timedelta(seconds=1)
        for _ in range(broadcasts.MAX_ATTEMPTS - 1):
            again = broadcasts.claim_next(session, later)
            assert again is not None and again.id == c.id
            gone = broadcasts.failed(session, again, later)
            later += broadcasts.RETRY_AFTER + dt.timedelta(seconds=1)
        assert gone and broadcasts.claim_next(session, later) is None
        (found,) = broadcasts.report(session, "x")
        assert found.states == {"sent": 1, "blocked": 1, "failed": 1}
        assert found.by_area == {"Glasgow": {"sent": 1, "blocked": 1}, "Edinburgh": {"failed": 1}}
        # Blocked the bot: no longer subscribed to anything.
        assert broadcasts.areas_of(session, "b") == []
        assert broadcasts.waiting(session) == 0


def test_a_claim_left_by_a_crash_is_taken_again_and_a_released_one_at_once(
    app_sessions: sessionmaker,
) -> None:
    with app_sessions.begin() as session:
        subscribe(session, "a", "Glasgow")
        subscribe(session, "b", "Glasgow")
        broadcasts.publish(session, "x", "v1", ["Glasgow"], text, NOW)
        first, second = drain(session)
        broadcasts.release(session, second.id)  # a graceful stop before sending it
        back = broadcasts.claim_next(session, NOW)
        assert back is not None and back.id == second.id and back.attempts == 1
        assert broadcasts.claim_next(session, NOW + dt.timedelta(seconds=60)) is None
        crashed = broadcasts.claim_next(session, NOW + broadcasts.CLAIM_EXPIRES * 2)
        assert crashed is not None and crashed.id == first.id


def test_forgetting_erases_subscriptions_and_unsent_alerts_and_keeps_counts(
    app_sessions: sessionmaker,
) -> None:
    with app_sessions.begin() as session:
        subscribe(session, "gone", "Glasgow")
        subscribe(session, "stays", "Glasgow")
        broadcasts.publish(session, "x", "v1", ["Glasgow"], text, NOW)
        first = broadcasts.claim_next(session, NOW)
        assert first is not None
        broadcasts.delivered(session, first.id, NOW)
        broadcasts.publish(session, "y", "v1", ["Glasgow"], text, NOW)
        sent_to = session.execute(
            sa.select(alert_deliveries.c.person).where(alert_deliveries.c.id == first.id)
        ).scalar_one()
        assert broadcasts.erase_person(session, sent_to) == 3  # subscription, queued, sent
        rows = session.execute(sa.select(alert_deliveries)).all()
        assert all(r.person != sent_to for r in rows)
        assert sum(r.person is None and r.chat is None for r in rows) == 1
        assert (
            session.execute(
                sa.select(sa.func.count()).select_from(alert_subscriptions)
            ).scalar_one()
            == 1
        )
        report = broadcasts.report(session, "x")[0]
        assert report.states["sent"] == 1


def test_retention_keeps_only_area_and_outcome(app_sessions: sessionmaker) -> None:
    with app_sessions.begin() as session:
        subscribe(session, "a", "Glasgow")
        broadcasts.publish(session, "x", "v1", ["Glasgow"], text, NOW)
        (delivery,) = drain(session)
        broadcasts.delivered(session, delivery.id, NOW)
        assert broadcasts.purge_delivered(session, NOW - dt.timedelta(days=1)) == 0
        assert broadcasts.purge_delivered(session, NOW + dt.timedelta(days=1)) == 1
        row = session.execute(sa.select(alert_deliveries)).one()
        assert (row.person, row.chat, row.area, row.state) == (None, None, "Glasgow", "sent")
