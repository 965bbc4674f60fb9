"""What docker-compose runs, checked directly against the local PostgreSQL and Redis."""

from __future__ import annotations

import asyncio

import pytest
import yaml
from rasa.core.lock_store import LockStore, RedisLockStore
from rasa.core.tracker_store import TrackerStore
from rasa.core.utils import AvailableEndpoints
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import UserUttered

from blether.erasure import erase_conversation, tracker_sessionmaker
from tests.conftest import POSTGRES_URL, ROOT


def test_compose_publishes_no_rasa_or_action_port_and_keeps_secrets_out() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert "ports" not in services["rasa"] and "ports" not in services["actions"]
    assert "--enable-api" not in services["rasa"]["command"]
    assert (
        services["rasa"]["command"][services["rasa"]["command"].index("--endpoints") + 1]
        == "deploy/endpoints.yml"
    )
    # Two Rasa replicas from one definition, each addressed by the bridge; actions scaled.
    assert services["rasa-2"] == services["rasa"]
    urls = services["bridge"]["environment"]["RASA_URLS"].split(",")
    assert [u.split("//")[1].split(":")[0] for u in urls] == ["rasa", "rasa-2"]
    assert services["actions"]["deploy"]["replicas"] >= 2
    for service in services.values():
        for value in (service.get("environment") or {}).values():
            assert "secret" not in str(value).lower() or "${" in str(value)


def test_deploy_endpoints_give_postgres_trackers_and_redis_locks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REDIS_HOST", "127.0.0.1")
    monkeypatch.setenv("REDIS_PORT", "6379")
    monkeypatch.setenv("BLETHER_TRACKER_URL", POSTGRES_URL)
    endpoints = AvailableEndpoints.read_endpoints(str(ROOT / "deploy" / "endpoints.yml"))
    lock_store = LockStore.create(endpoints.lock_store)
    assert isinstance(lock_store, RedisLockStore)
    store = TrackerStore.create(endpoints.tracker_store, domain=Domain.empty())

    async def conversation() -> None:
        async with lock_store.lock("test-deploy-person"):
            tracker = await store.get_or_create_tracker("test-deploy-person")
            tracker.update(UserUttered("hiya", {"name": "greet", "confidence": 1.0}))
            await store.save(tracker)
        kept = await store.retrieve("test-deploy-person")
        assert kept is not None and kept.latest_message.text == "hiya"

    asyncio.run(conversation())
    with tracker_sessionmaker(POSTGRES_URL).begin() as session:
        assert erase_conversation(session, "test-deploy-person") >= 2
