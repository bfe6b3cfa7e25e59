"""The whole pipeline, deployed as a user deploys it (broker, stage workers with two
inference consumers, ingest, monitors, fault hooks), with every event in and every result
out counted: exactly one prediction and one action per accepted event, through a consumer
killed mid-batch by the deployment's own fault hook and a restarted broker."""

import asyncio
import shutil
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import nats
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, select

from readiness.home import Home
from reference.event_driven import deployment, faults, supervision
from reference.event_driven.action import actions
from reference.event_driven.messages import ActionTaken
from reference.event_driven.streams import ACTIONS
from reference.event_driven.worker import load_config
from reference.platform.deploy.processes import reap, running
from reference.platform.monitoring.store import MonitorStore
from tests.reference.event_driven.client import ROWS, api_key, descriptor_of, send, settled


@pytest.fixture(scope="module")
def pipeline(champion_home: Home, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Home]:
    home = Home(tmp_path_factory.mktemp("event-driven") / "home")
    shutil.copytree(champion_home.root, home.root)
    deployment.up(home, faults=True)
    try:
        yield home
    finally:
        supervision.down(home)


def _pid(home: Home, name: str) -> int:
    return int((supervision.folder(home) / f"{name}.pid").read_text())


def test_every_accepted_event_gets_one_prediction_and_one_action(pipeline: Home) -> None:
    accepted = send(pipeline, requests=20)
    assert len(accepted) == 200
    assert settled(pipeline, accepted) == (200, 200)


def test_a_consumer_killed_mid_batch_loses_and_duplicates_nothing(pipeline: Home) -> None:
    place = supervision.folder(pipeline)
    with ThreadPoolExecutor(1) as background:
        sending = background.submit(send, pipeline, 60, 1, 0.05)  # about 3 s of events
        time.sleep(0.5)
        killed = faults.kill_consumer(place, "infer")
        accepted = sending.result()
    reap(killed["killed_pid"])  # this test started the workers: they are its children
    assert not running(killed["killed_pid"])
    assert killed["batch"] >= 1  # fetched and never acked: the broker delivers it again
    assert faults.run_hook(place, "restart-consumers", None)["restarted"]
    assert len(accepted) == 60
    assert settled(pipeline, accepted) == (60, 60)


def test_a_restarted_broker_loses_and_duplicates_nothing(pipeline: Home) -> None:
    place = supervision.folder(pipeline)
    accepted = send(pipeline, requests=10)
    restarted = faults.restart_broker(place, down_s=1.0)
    assert restarted["started"]
    reap(restarted["killed_pid"])
    assert not running(restarted["killed_pid"])
    accepted |= send(pipeline, requests=10)  # the ingest and the stages reconnect
    assert settled(pipeline, accepted) == (200, 200)


def test_every_accepted_event_has_exactly_one_message_on_the_actions_stream(
    pipeline: Home,
) -> None:
    """What downstream consumers read: one action message per event, even after the kill
    and the restart above re-published some (the broker dropped the copies)."""
    accepted = send(pipeline, requests=5)
    settled(pipeline, accepted)
    published = asyncio.run(_action_messages(pipeline))
    assert all(published.get(event_id) == 1 for event_id in accepted)
    assert max(published.values()) == 1


def test_each_event_is_predicted_before_it_is_acted_on(pipeline: Home) -> None:
    """The ordering promised (docs/event-driven.md): per event, stage after stage; none
    between events."""
    accepted = send(pipeline, requests=5)
    settled(pipeline, accepted)
    with create_engine(f"sqlite:///{supervision.folder(pipeline) / 'actions.db'}").connect() as c:
        rows = c.execute(select(actions).where(actions.c.event_id.in_(accepted))).all()
    assert len(rows) == len(accepted)
    assert all(row.event_time <= row.acted_at for row in rows)


def test_the_inference_work_spreads_over_both_consumers(pipeline: Home) -> None:
    accepted = send(pipeline, requests=20)
    settled(pipeline, accepted)
    descriptor = descriptor_of(pipeline)
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
    accepted = send(pipeline, requests=3)
    settled(pipeline, accepted)
    descriptor = descriptor_of(pipeline)
    assert descriptor.endpoints.results is not None
    requests = sorted({event.rsplit(".", 1)[0] for event in accepted})
    answer = httpx.post(descriptor.endpoints.results, headers={"x-api-key": api_key(pipeline)},
                        json={"request_ids": [*requests, "never-sent"]}, timeout=10)  # fmt: skip
    assert answer.status_code == 200
    found = {row["request_id"]: row for row in answer.json()["results"]}
    assert [(found[r]["predictions"], found[r]["actions"]) for r in requests] == [(10, 10)] * 3
    assert found["never-sent"] == {"request_id": "never-sent", "predictions": 0, "actions": 0,
                                   "completed_at": None}  # fmt: skip
    refused = httpx.post(descriptor.endpoints.results, headers={"x-api-key": api_key(pipeline)},
                         json={"request_ids": ["bad id!"]}, timeout=10)  # fmt: skip
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["loc"] == ["body", "request_ids", 0]


async def _action_messages(home: Home) -> dict[str, int]:
    """How many messages the actions stream holds for each event id."""
    client = await nats.connect(load_config(supervision.folder(home) / "pipeline.yaml").broker_url)
    js = client.jetstream()
    info = await js.stream_info(ACTIONS.name)
    counted: dict[str, int] = {}
    for sequence in range(info.state.first_seq, info.state.last_seq + 1):
        message = await js.get_msg(ACTIONS.name, sequence)
        event_id = ActionTaken.model_validate_json(message.data or b"").event_id
        counted[event_id] = counted.get(event_id, 0) + 1
    await client.close()
    return counted


def test_instances_the_ingest_refuses_are_recorded_for_the_data_quality_monitor(
    pipeline: Home,
) -> None:
    store = MonitorStore(pipeline.audit_url)
    before = store.last_sketch_id()
    descriptor = descriptor_of(pipeline)
    defective = {**ROWS[0], "age": "forty"}
    answer = httpx.post(descriptor.endpoints.predict.format(model=descriptor.model),
                        json={"instances": [defective, ROWS[1]]},
                        headers={"x-api-key": api_key(pipeline)}, timeout=10)  # fmt: skip
    assert answer.status_code == 422
    deadline = time.monotonic() + 30  # the recorder writes its sketches every few seconds
    refused: dict[str, int] = {}
    while not refused and time.monotonic() < deadline:
        time.sleep(0.5)
        sketches = [s for _, s in store.sketches_since(before) if s.source == "ingest"]
        refused = {k: v for s in sketches for k, v in s.rejected.items()}
    assert refused == {"type:age": 1}
