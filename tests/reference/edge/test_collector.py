"""The cloud's collector writing edge records into a real audit store (SQLite)."""

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

import nats
import pytest

from reference.edge.channel import ensure_channel
from reference.edge.collector import Collected, Collector, CollectorConfig
from reference.edge.telemetry import TelemetryRecord, subject
from reference.platform.audit.prediction_log import PredictionLog
from reference.platform.deploy.broker import Broker
from reference.platform.monitoring.sketch import Sketch
from reference.platform.monitoring.store import MonitorStore

DEVICE, MODEL = "shop-7", "adult-income"
AT = 1_700_000_000.0
FEATURES = [
    {"age": 25.0, "workclass": "Private", "contact_email": "5e1f" * 16, "sex": "Male"},
    {"age": 38.0, "workclass": None, "contact_email": None, "sex": "Female"},
]
"""As the device sent them: already through its PII policy (the e-mail is a keyed hash)."""

SKETCH = Sketch(
    model=MODEL, version="1", source=f"edge/{DEVICE}", started=datetime(2024, 5, 1, tzinfo=UTC),
    ended=datetime(2024, 5, 1, 0, 0, 1, tzinfo=UTC), rows=2, counts={"age": [1, 1, 0]},
    scores=[1, 0, 0, 0, 0, 0, 0, 0, 0, 1], latency_ms={40: 1},
)  # fmt: skip


def prediction(seq: int, position: int) -> TelemetryRecord:
    body = {"request_id": "req-1", "position": position, "version": "1",
            "probability": 0.25 + position / 2, "label": position, "at": AT, "latency_ms": 2.5,
            "features": FEATURES[position]}  # fmt: skip
    return TelemetryRecord(device=DEVICE, seq=seq, kind="prediction", at=AT, body=body)


BATCH = [
    prediction(1, 0),
    prediction(2, 1),
    TelemetryRecord(device=DEVICE, seq=3, kind="sketch", at=AT,
                    body=json.loads(SKETCH.model_dump_json())),
    TelemetryRecord(device=DEVICE, seq=4, kind="event", at=AT,
                    body={"action": "swap", "from_version": None, "to_version": "1",
                          "detail": "passed its canaries"}),
]  # fmt: skip


@pytest.fixture
def audit_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/audit.db"


@pytest.fixture
def collector(audit_url: str) -> Collector:
    return Collector(CollectorConfig(broker_url="nats://unused", audit_url=audit_url, model=MODEL))


def test_a_batch_is_written_each_record_once(collector: Collector) -> None:
    assert collector.write(BATCH) == Collected(predictions=2, sketches=1, events=1)


def test_the_same_batch_written_again_writes_nothing_new(
    collector: Collector, audit_url: str
) -> None:
    collector.write(BATCH)

    again = collector.write(BATCH)
    assert (again.predictions, again.sketches, again.events) == (0, 0, 0)
    log = PredictionLog(audit_url)
    assert log.count("predictions") == 2
    assert len(log.deployments(MODEL)) == 1
    assert len(MonitorStore(audit_url).sketches_since(0)) == 1


def test_every_record_of_a_batch_written_again_counts_as_a_duplicate(
    collector: Collector,
) -> None:
    collector.write(BATCH)
    assert collector.write(BATCH) == Collected(duplicates=len(BATCH))


def test_a_batch_redelivered_to_a_new_collector_is_written_once(
    collector: Collector, audit_url: str
) -> None:
    """As after the collector died before acking what it had written."""
    collector.write(BATCH)
    again = Collector(collector.config)

    assert again.write(BATCH).predictions + again.write(BATCH).sketches == 0
    assert PredictionLog(audit_url).count("predictions") == 2


def test_predictions_land_in_the_log_under_the_device_s_tenant_with_the_features_as_sent(
    collector: Collector, audit_url: str
) -> None:
    collector.write(BATCH)

    logged = PredictionLog(audit_url).predictions_since(0, 10)
    assert [(p.request_id, p.position, p.tenant, p.model, p.version) for p in logged] == [
        ("req-1", 0, f"edge/{DEVICE}", MODEL, "1"),
        ("req-1", 1, f"edge/{DEVICE}", MODEL, "1"),
    ]
    assert [p.features for p in logged] == FEATURES
    assert [(p.probability, p.label, p.latency_ms) for p in logged] == [
        (0.25, 0, 2.5),
        (0.75, 1, 2.5),
    ]
    assert {p.at for p in logged} == {datetime.fromtimestamp(AT, UTC)}


def test_the_sketch_lands_in_the_monitor_store_with_its_source(
    collector: Collector, audit_url: str
) -> None:
    collector.write(BATCH)

    ((_, sketch),) = MonitorStore(audit_url).sketches_since(0)
    assert sketch == SKETCH
    assert sketch.source == f"edge/{DEVICE}"


def test_an_event_lands_in_the_deployment_log_under_the_device_with_its_message_id(
    collector: Collector, audit_url: str
) -> None:
    collector.write(BATCH)

    (event,) = PredictionLog(audit_url).deployments(MODEL)
    assert (event.actor, event.action, event.from_version, event.to_version, event.detail) == (
        f"edge/{DEVICE}",
        "swap",
        None,
        "1",
        f"passed its canaries [{DEVICE}:4]",
    )


def test_records_of_two_devices_with_the_same_seq_are_both_written(collector: Collector) -> None:
    """A seq is only unique on its device: the key is `device:seq`."""
    other = BATCH[2].model_copy(update={"device": "shop-8"})

    assert collector.write([BATCH[2], other]).sketches == 2


def test_a_record_that_cannot_be_logged_is_dropped_alone_and_the_collector_goes_on(
    broker: Broker, audit_url: str
) -> None:
    """A prediction without a probability (a model that answered NaN) is counted invalid;
    the records around it are written, and the collector keeps running."""
    bad = prediction(5, 0).model_copy(update={"body": {**prediction(5, 0).body,
                                                        "request_id": "req-2",
                                                        "probability": None}})  # fmt: skip
    collector = Collector(CollectorConfig(broker_url=broker.url, audit_url=audit_url,
                                          model=MODEL))  # fmt: skip

    async def scenario() -> None:
        client = await nats.connect(broker.url)
        js = client.jetstream()
        await ensure_channel(js)
        for record in (BATCH[0], bad, BATCH[1]):
            await js.publish(subject(DEVICE), record.model_dump_json().encode())
        stop = asyncio.Event()
        running = asyncio.create_task(collector.run(stop))
        for _ in range(100):
            if collector.totals.predictions + collector.totals.invalid >= 3:
                break
            await asyncio.sleep(0.1)
        stop.set()
        await running
        await client.close()

    asyncio.run(scenario())
    assert (collector.totals.predictions, collector.totals.invalid) == (2, 1)
    assert PredictionLog(audit_url).logged_per_request(["req-1", "req-2"]) == {"req-1": 2}
