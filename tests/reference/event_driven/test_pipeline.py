"""The whole pipeline, deployed as a user deploys it (broker, four stage workers, ingest,
monitors), with every event in and every result out counted: exactly one prediction and
one action per accepted event, through a killed inference worker and a restarted broker."""

import os
import shutil
import signal
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import create_engine, func, select

from harness.traffic.rows import traffic_rows
from readiness.descriptor import TargetDescriptor, load_descriptor
from readiness.home import Home
from reference.event_driven import deployment
from reference.event_driven.action import actions
from reference.event_driven.broker import start_broker
from reference.event_driven.worker import load_config
from reference.platform.audit import tables
from reference.platform.processes import stop_session

SETTLE_TIMEOUT_S = 120.0
RETRIES = 40


@pytest.fixture(scope="module")
def pipeline(champion_home: Home, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Home]:
    home = Home(tmp_path_factory.mktemp("event-driven") / "home")
    shutil.copytree(champion_home.root, home.root)
    deployment.up(home)
    try:
        yield home
    finally:
        deployment.down(home)


def _descriptor(home: Home) -> TargetDescriptor:
    return load_descriptor(deployment.folder(home) / "target.yaml")


ROWS = [instance for instance, _ in traffic_rows()[:2000]]
"""Real Adult rows, as the harness sends them (the monitors watch this traffic too: rows
that all look alike would rightly raise the data-quality alert and pause batches)."""


def _send(home: Home, requests: int, per_request: int = 10) -> set[str]:
    """Requests of `per_request` real rows, each retried with its idempotency key while the
    ingest answers 503 (the broker away), as a client should; the event ids accepted."""
    descriptor = _descriptor(home)
    key = dict(line.split("=", 1) for line in (deployment.folder(home) / "credentials.env")
               .read_text().splitlines())[deployment.API_KEY_ENV]  # fmt: skip
    url = descriptor.endpoints.predict.format(model=descriptor.model)
    accepted: set[str] = set()
    with httpx.Client(headers={"x-api-key": key}, timeout=30) as client:
        for index in range(requests):
            start = (index * per_request + int(time.time())) % (len(ROWS) - per_request)
            body = {"instances": ROWS[start : start + per_request]}
            headers = {"Idempotency-Key": f"test-{uuid.uuid4()}"}
            for _ in range(RETRIES):
                answer = client.post(url, json=body, headers=headers)
                if answer.status_code != 503:
                    break
                time.sleep(0.5)
            assert answer.status_code == 202, answer.text
            accepted.update(answer.json()["events"])
    return accepted


def _counted(home: Home, accepted: set[str]) -> tuple[int, int]:
    """(actions, logged predictions) of the accepted events: rows, not distinct ids, so a
    duplicate would show. Other tests' predictions in the copied home are not counted."""
    requests = {event.rsplit(".", 1)[0] for event in accepted}
    logged = tables.predictions
    query = select(func.count()).select_from(logged).where(logged.c.request_id.in_(requests))
    with create_engine(home.audit_url).connect() as connection:
        predictions = connection.execute(query).scalar_one()
    store = deployment.folder(home) / "actions.db"
    if not store.exists():
        return 0, int(predictions)
    query = select(func.count()).select_from(actions).where(actions.c.event_id.in_(accepted))
    with create_engine(f"sqlite:///{store}").connect() as connection:
        acted = connection.execute(query).scalar_one()
    return int(acted), int(predictions)


def _settled(home: Home, accepted: set[str]) -> tuple[int, int]:
    """Wait until the action service has acted on every accepted event, then a little
    longer (a duplicate still on its way would show); the counts."""
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    while time.monotonic() < deadline and _counted(home, accepted)[0] < len(accepted):
        time.sleep(0.5)
    time.sleep(1.0)
    return _counted(home, accepted)


def _pid(home: Home, name: str) -> int:
    return int((deployment.folder(home) / f"{name}.pid").read_text())


def test_every_accepted_event_gets_one_prediction_and_one_action(pipeline: Home) -> None:
    accepted = _send(pipeline, requests=20)
    assert len(accepted) == 200
    assert _settled(pipeline, accepted) == (200, 200)


def test_a_killed_inference_worker_loses_and_duplicates_nothing(pipeline: Home) -> None:
    accepted = _send(pipeline, requests=10)
    os.killpg(_pid(pipeline, "worker-infer-0"), signal.SIGKILL)  # mid-stream
    accepted |= _send(pipeline, requests=10)
    deployment.start_worker(deployment.folder(pipeline), "infer", 0)
    assert _settled(pipeline, accepted) == (200, 200)


def test_a_restarted_broker_loses_and_duplicates_nothing(pipeline: Home) -> None:
    place = deployment.folder(pipeline)
    accepted = _send(pipeline, requests=10)
    broker_port = int(load_config(place / "pipeline.yaml").broker_url.rsplit(":", 1)[1])
    stop_session(_pid(pipeline, "broker"))
    _, process = start_broker(place / "nats", place / "nats-restarted.log", port=broker_port)
    (place / "broker.pid").write_text(str(process.pid))
    accepted |= _send(pipeline, requests=10)  # the ingest and the stages reconnect
    assert _settled(pipeline, accepted) == (200, 200)
