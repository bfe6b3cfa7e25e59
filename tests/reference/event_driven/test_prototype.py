"""The prototype profile as deployed: one process on core NATS that does the job while
nothing goes wrong, and shows what it lacks when something does (a poison event is dropped
with a log line, nowhere to find it again)."""

import asyncio
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import nats
import pytest

from readiness.errors import InvalidInput
from readiness.home import Home
from reference.event_driven import deployment, supervision
from reference.event_driven.streams import EVENTS
from reference.event_driven.worker import load_config
from tests.reference.event_driven.client import descriptor_of, send, settled


@pytest.fixture(scope="module")
def prototype(champion_home: Home, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Home]:
    home = Home(tmp_path_factory.mktemp("event-driven-prototype") / "home")
    shutil.copytree(champion_home.root, home.root)
    deployment.up(home, "prototype")
    try:
        yield home
    finally:
        supervision.down(home)


def test_the_prototype_is_one_process_beside_its_broker_without_keys_monitors_or_hooks(
    prototype: Home,
) -> None:
    place = supervision.folder(prototype)
    assert sorted(p.name for p in place.glob("*.pid")) == ["broker.pid", "ingest.pid"]
    descriptor = descriptor_of(prototype)
    assert descriptor.profile == "prototype"
    assert descriptor.credentials.api_key_env is None
    assert descriptor.fault_hooks == []
    assert descriptor.endpoints.monitor_metrics is None
    assert descriptor.endpoints.admin is None
    assert descriptor.endpoints.results is not None


def test_the_prototype_acts_on_every_event_while_nothing_goes_wrong(prototype: Home) -> None:
    accepted = send(prototype, requests=10)
    assert settled(prototype, accepted) == (100, 100)


def test_a_poison_event_is_dropped_with_a_log_line_and_nothing_else(prototype: Home) -> None:
    place = supervision.folder(prototype)
    asyncio.run(_publish(load_config(place / "pipeline.yaml").broker_url, b"\xff not an event"))
    log = place / "ingest.log"
    deadline = time.monotonic() + 10
    while "dropped an event" not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "dropped an event" in log.read_text()


def test_production_options_are_refused_for_the_prototype(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    home = Home(tmp_path_factory.mktemp("refused") / "home")
    with pytest.raises(InvalidInput, match="--faults, --monitor-config and instances"):
        deployment.up(home, "prototype", faults=True)


async def _publish(url: str, body: bytes) -> None:
    client = await nats.connect(url)
    await client.publish(EVENTS.subjects[0], body)
    await client.flush()
    await client.close()


def test_a_start_that_fails_half_way_leaves_nothing_running(
    champion_home: Home, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = Home(tmp_path / "home")
    shutil.copytree(champion_home.root, home.root, ignore=shutil.ignore_patterns("deployments"))

    def broken(*_: object, **__: object) -> str:
        raise ValueError("the ingest's settings did not validate")

    monkeypatch.setattr(deployment, "_start_ingest", broken)
    with pytest.raises(ValueError, match="did not validate"):
        deployment.up(home, "prototype")
    place = supervision.folder(home)
    assert not list(place.glob("*.pid"))  # the broker it had started was stopped
