"""The whole pipeline, deployed as a user deploys it (broker, stage workers with two
inference consumers, ingest, monitors, fault hooks), with every event in and every result
out counted: exactly one prediction and one action per accepted event, through a consumer
killed mid-batch by the deployment's own fault hook and a restarted broker."""

import asyncio
import shutil
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import nats
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, func, select

from harness.traffic.rows import traffic_rows
from readiness.descriptor import TargetDescriptor, load_descriptor
from readiness.home import Home
from reference.event_driven import deployment, faults
from reference.event_driven.action import actions
from reference.event_driven.messages import ActionTaken
from reference.event_driven.streams import ACTIONS
from reference.event_driven.worker import load_config
from reference.platform.audit import tables
from reference.platform.processes import reap, running

SETTLE_TIMEOUT_S = 120.0
RETRIES = 40


@pytest.fixture(scope="module")
def pipeline(champion_home: Home, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Home]:
    home = Home(tmp_path_factory.mktemp("event-driven") / "home")
    shutil.copytree(champion_home.root, home.root)
    deployment.up(home, faults=True)
    try:
        yield home
    finally:
        deployment.down(home)


def _descriptor(home: Home) -> TargetDescriptor:
    return load_descriptor(deployment.folder(home) / "target.yaml")


ROWS = [instance for instance, _ in traffic_rows()[:2000]]
"""Real Adult rows, as the harness sends them (the monitors watch this traffic too: rows
that all look alike would rightly raise the data-quality alert and pause batches)."""


def _key(home: Home) -> str:
    return dict(line.split("=", 1) for line in (deployment.folder(home) / "credentials.env")
                .read_text().splitlines())[deployment.API_KEY_ENV]  # fmt: skip


def _send(home: Home, requests: int, per_request: int = 10, pause_s: float = 0.0) -> set[str]:
    """Requests of `per_request` real rows, each retried with its idempotency key while the
    ingest answers 503 (the broker away), as a client should; the event ids accepted."""
    descriptor = _descriptor(home)
    key = _key(home)
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
            time.sleep(pause_s)
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


def test_a_consumer_killed_mid_batch_loses_and_duplicates_nothing(pipeline: Home) -> None:
    place = deployment.folder(pipeline)
    with ThreadPoolExecutor(1) as background:
        sending = background.submit(_send, pipeline, 60, 1, 0.05)  # about 3 s of events
        time.sleep(0.5)
        killed = faults.kill_consumer(place, "infer")
        accepted = sending.result()
    reap(killed["killed_pid"])  # this test started the workers: they are its children
    assert not running(killed["killed_pid"])
    assert killed["batch"] >= 1  # fetched and never acked: the broker delivers it again
    assert faults.run_hook(place, "restart-consumers", None)["restarted"]
    assert len(accepted) == 60
    assert _settled(pipeline, accepted) == (60, 60)


def test_a_restarted_broker_loses_and_duplicates_nothing(pipeline: Home) -> None:
    place = deployment.folder(pipeline)
    accepted = _send(pipeline, requests=10)
    restarted = faults.restart_broker(place, down_s=1.0)
    assert restarted["started"]
    reap(restarted["killed_pid"])
    assert not running(restarted["killed_pid"])
    accepted |= _send(pipeline, requests=10)  # the ingest and the stages reconnect
    assert _settled(pipeline, accepted) == (200, 200)


def test_every_accepted_event_has_exactly_one_message_on_the_actions_stream(
    pipeline: Home,
) -> None:
    """What downstream consumers read: one action message per event, even after the kill
    and the restart above re-published some (the broker dropped the copies)."""
    accepted = _send(pipeline, requests=5)
    _settled(pipeline, accepted)
    published = asyncio.run(_action_messages(pipeline))
    assert all(published.get(event_id) == 1 for event_id in accepted)
    assert max(published.values()) == 1


def test_each_event_is_predicted_before_it_is_acted_on(pipeline: Home) -> None:
    """The ordering promised (README): per event, stage after stage; none between events."""
    accepted = _send(pipeline, requests=5)
    _settled(pipeline, accepted)
    with create_engine(f"sqlite:///{deployment.folder(pipeline) / 'actions.db'}").connect() as c:
        rows = c.execute(select(actions).where(actions.c.event_id.in_(accepted))).all()
    assert len(rows) == len(accepted)
    assert all(row.event_time <= row.acted_at for row in rows)


def test_the_inference_work_spreads_over_both_consumers(pipeline: Home) -> None:
    accepted = _send(pipeline, requests=20)
    _settled(pipeline, accepted)
    descriptor = _descriptor(pipeline)
    assert descriptor.endpoints.metrics is not None
    text = httpx.get(descriptor.endpoints.metrics, timeout=10).text
    workers = {
        sample.labels["worker"]: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "readiness_stream_processed_total" and sample.labels["stage"] == "infer"
    }
    live = {str(_pid(pipeline, f"worker-infer-{i}")) for i in range(2)}
    assert all(workers.get(pid, 0) > 0 for pid in live), workers


def test_the_results_route_says_what_became_of_each_request(pipeline: Home) -> None:
    accepted = _send(pipeline, requests=3)
    _settled(pipeline, accepted)
    descriptor = _descriptor(pipeline)
    assert descriptor.endpoints.results is not None
    requests = sorted({event.rsplit(".", 1)[0] for event in accepted})
    answer = httpx.post(descriptor.endpoints.results, headers={"x-api-key": _key(pipeline)},
                        json={"request_ids": [*requests, "never-sent"]}, timeout=10)  # fmt: skip
    assert answer.status_code == 200
    found = {row["request_id"]: row for row in answer.json()["results"]}
    assert [(found[r]["predictions"], found[r]["actions"]) for r in requests] == [(10, 10)] * 3
    assert found["never-sent"] == {"request_id": "never-sent", "predictions": 0, "actions": 0,
                                   "completed_at": None}  # fmt: skip
    refused = httpx.post(descriptor.endpoints.results, headers={"x-api-key": _key(pipeline)},
                         json={"request_ids": ["bad id!"]}, timeout=10)  # fmt: skip
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "request_ids", 0]


async def _action_messages(home: Home) -> dict[str, int]:
    """How many messages the actions stream holds for each event id."""
    client = await nats.connect(load_config(deployment.folder(home) / "pipeline.yaml").broker_url)
    js = client.jetstream()
    info = await js.stream_info(ACTIONS.name)
    counted: dict[str, int] = {}
    for sequence in range(info.state.first_seq, info.state.last_seq + 1):
        message = await js.get_msg(ACTIONS.name, sequence)
        event_id = ActionTaken.model_validate_json(message.data or b"").event_id
        counted[event_id] = counted.get(event_id, 0) + 1
    await client.close()
    return counted
