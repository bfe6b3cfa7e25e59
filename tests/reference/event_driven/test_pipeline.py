"""The whole pipeline, deployed as a user deploys it (broker, four stage workers, ingest,
monitors), with every event in and every result out counted: exactly one prediction and
one action per accepted event, through a killed inference worker and a restarted broker."""

import os
import shutil
import signal
import time
from collections.abc import Iterator

import httpx
import pytest

from harness.traffic.rows import traffic_rows
from readiness.descriptor import TargetDescriptor, load_descriptor
from readiness.home import Home
from reference.event_driven import deployment
from reference.event_driven.action import ActionStore
from reference.event_driven.broker import start_broker
from reference.event_driven.worker import load_config
from reference.platform.prediction_log import PredictionLog
from reference.platform.processes import stop_session

SETTLE_TIMEOUT_S = 120.0


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
    """Requests of `per_request` real rows; the event ids accepted."""
    descriptor = _descriptor(home)
    key = dict(line.split("=", 1) for line in (deployment.folder(home) / "credentials.env")
               .read_text().splitlines())[deployment.API_KEY_ENV]  # fmt: skip
    url = descriptor.endpoints.predict.format(model=descriptor.model)
    accepted: set[str] = set()
    with httpx.Client(headers={"x-api-key": key}, timeout=30) as client:
        for index in range(requests):
            start = (index * per_request + int(time.time())) % (len(ROWS) - per_request)
            rows = ROWS[start : start + per_request]
            answer = client.post(url, json={"instances": rows})
            assert answer.status_code == 202, answer.text
            accepted.update(answer.json()["events"])
    return accepted


def _settled(home: Home, expected: int) -> tuple[int, int]:
    """Wait until the action service has acted on `expected` events; (actions, predictions)."""
    place = deployment.folder(home)
    log = PredictionLog(home.audit_url)
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    actions = 0
    while time.monotonic() < deadline:
        actions = (
            ActionStore(place / "actions.db").count() if (place / "actions.db").exists() else 0
        )
        if actions >= expected:
            break
        time.sleep(0.5)
    time.sleep(1.0)  # anything still arriving would be a duplicate: give it the time to show
    actions = ActionStore(place / "actions.db").count()
    return actions, log.count("predictions")


def _pid(home: Home, name: str) -> int:
    return int((deployment.folder(home) / f"{name}.pid").read_text())


def test_every_accepted_event_gets_one_prediction_and_one_action(pipeline: Home) -> None:
    accepted = _send(pipeline, requests=20)
    assert len(accepted) == 200
    assert _settled(pipeline, 200) == (200, 200)


def test_a_killed_inference_worker_loses_and_duplicates_nothing(pipeline: Home) -> None:
    before = ActionStore(deployment.folder(pipeline) / "actions.db").count()
    accepted = _send(pipeline, requests=10)
    os.killpg(_pid(pipeline, "worker-infer-0"), signal.SIGKILL)  # mid-stream, unacked work
    accepted |= _send(pipeline, requests=10)
    deployment.start_worker(deployment.folder(pipeline), "infer", 0)
    assert _settled(pipeline, before + len(accepted)) == (before + 200, before + 200)


def test_a_restarted_broker_loses_and_duplicates_nothing(pipeline: Home) -> None:
    place = deployment.folder(pipeline)
    before = ActionStore(place / "actions.db").count()
    accepted = _send(pipeline, requests=10)
    broker_port = int(load_config(place / "pipeline.yaml").broker_url.rsplit(":", 1)[1])
    stop_session(_pid(pipeline, "broker"))
    _, process = start_broker(place / "nats", place / "nats-restarted.log", port=broker_port)
    (place / "broker.pid").write_text(str(process.pid))
    accepted |= _send(pipeline, requests=10)  # the ingest and the stages reconnect
    assert _settled(pipeline, before + len(accepted)) == (before + 200, before + 200)
