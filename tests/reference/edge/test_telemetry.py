"""The device's telemetry into a real outbox, with the reference PII policy, and forwarded
to a real JetStream server."""

import asyncio
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import nats
import numpy as np
import pytest
from nats.js.client import JetStreamContext

from reference.edge.channel import ensure_channel
from reference.edge.outbox import Outbox, OutboxRecord
from reference.edge.release import canary_rows
from reference.edge.telemetry import STREAM, DeviceTelemetry, Forwarder, TelemetryRecord, subject
from reference.platform.audit.pii import PiiRedactor, load_pii_policy
from reference.platform.deploy.broker import Broker
from reference.platform.model.dataset import AdultDataset
from reference.platform.model.schema import FeatureSchema, RecordEncoder
from reference.platform.monitoring.sketch import Sketch
from reference.platform.monitoring.training_reference import MonitorReference, fit_reference

DEVICE, MODEL = "shop-7", "adult-income"
PII_KEY = b"0123456789abcdef0123456789abcdef"


@pytest.fixture(scope="module")
def monitor_reference(adult: AdultDataset) -> MonitorReference:
    """The training split's bins, scored by a stand-in (no model needs training here)."""
    numeric, categorical = adult.schema.encode(adult.train)
    return fit_reference(adult.schema, numeric, categorical, np.linspace(0, 1, len(numeric)))


@pytest.fixture(scope="module")
def rows(adult: AdultDataset) -> list[dict[str, Any]]:
    """Three applicants as a device receives them: with their PII, and a field the schema
    does not know."""
    features = adult.test.drop(columns=[adult.schema.label.name]).head(3)
    records: list[Mapping[str, Any]] = [
        {str(k): v for k, v in r.items()} for r in features.to_dict("records")
    ]
    return [{**row, "note": "call after 5pm"} for row in canary_rows(records)]


@pytest.fixture
def redactor(schema: FeatureSchema) -> PiiRedactor:
    return PiiRedactor(load_pii_policy(), schema, PII_KEY)


@pytest.fixture
def outbox(tmp_path: Path) -> Iterator[Outbox]:
    opened = Outbox(tmp_path / "outbox.db", capacity=1000)
    yield opened
    opened.close()


@pytest.fixture
def telemetry(
    outbox: Outbox, redactor: PiiRedactor, monitor_reference: MonitorReference
) -> DeviceTelemetry:
    device = DeviceTelemetry(DEVICE, MODEL, outbox, redactor)
    device.prepare("1", monitor_reference)
    return device


def answer(
    telemetry: DeviceTelemetry, schema: FeatureSchema, rows: list[dict[str, Any]]
) -> list[float]:
    """Tell the telemetry the device answered `rows` in one request; the probabilities."""
    probabilities = np.array([0.1, 0.6, 0.9], dtype=np.float32)[: len(rows)]
    telemetry.predicted("req-1", "1", rows, RecordEncoder(schema).encode(rows), probabilities,
                        [int(p >= 0.5) for p in probabilities], 2.5, 1_700_000_000.0)  # fmt: skip
    return [float(p) for p in probabilities]


def of_kind(outbox: Outbox, kind: str) -> list[OutboxRecord]:
    return [record for record in outbox.pending(1000) if record.kind == kind]


def test_a_flush_puts_one_prediction_record_per_row_with_its_features_redacted(
    telemetry: DeviceTelemetry,
    outbox: Outbox,
    redactor: PiiRedactor,
    schema: FeatureSchema,
    rows: list[dict[str, Any]],
) -> None:
    probabilities = answer(telemetry, schema, rows)

    assert telemetry.flush() == len(rows) + 1  # and one sketch
    bodies = [json.loads(record.payload) for record in of_kind(outbox, "prediction")]
    assert bodies == [
        {"request_id": "req-1", "position": position, "version": "1", "probability": p,
         "label": int(p >= 0.5), "at": 1_700_000_000.0, "latency_ms": 2.5,
         "features": redactor.apply(row)}
        for position, (row, p) in enumerate(zip(rows, probabilities, strict=True))
    ]  # fmt: skip


def test_the_policy_hashes_the_applicant_s_identity_and_drops_what_the_schema_lacks(
    telemetry: DeviceTelemetry,
    outbox: Outbox,
    redactor: PiiRedactor,
    schema: FeatureSchema,
    rows: list[dict[str, Any]],
) -> None:
    answer(telemetry, schema, rows[:1])
    telemetry.flush()
    (record,) = of_kind(outbox, "prediction")
    features = json.loads(record.payload)["features"]

    assert features["contact_email"] == redactor.keyed_hash(rows[0]["contact_email"])
    assert features["applicant_id"] == redactor.keyed_hash(rows[0]["applicant_id"])
    assert "note" not in features
    assert (features["age"], features["sex"]) == (rows[0]["age"], rows[0]["sex"])


def test_raw_pii_never_reaches_the_outbox_files(
    telemetry: DeviceTelemetry,
    outbox: Outbox,
    schema: FeatureSchema,
    rows: list[dict[str, Any]],
) -> None:
    answer(telemetry, schema, rows)
    telemetry.flush()
    on_disk = b"".join(p.read_bytes() for p in outbox.path.parent.glob("outbox.db*"))
    for row in rows:
        assert row["contact_email"].encode() not in on_disk
        assert row["applicant_id"].encode() not in on_disk
    assert b"call after 5pm" not in on_disk


def test_a_flush_puts_a_sketch_of_the_version_s_traffic(
    telemetry: DeviceTelemetry, outbox: Outbox, schema: FeatureSchema, rows: list[dict[str, Any]]
) -> None:
    answer(telemetry, schema, rows)
    telemetry.flush()
    (record,) = of_kind(outbox, "sketch")
    sketch = Sketch.model_validate_json(record.payload)

    assert (sketch.model, sketch.version, sketch.source) == (MODEL, "1", f"edge/{DEVICE}")
    assert sketch.rows == len(rows)
    assert sum(sketch.latency_ms.values()) == 1  # one request


def test_an_event_adds_an_event_record(telemetry: DeviceTelemetry, outbox: Outbox) -> None:
    telemetry.event("rollback", "2", "1", "degraded on probation: p99 over budget")

    assert telemetry.flush() == 1
    (record,) = outbox.pending(10)
    assert record.kind == "event"
    assert json.loads(record.payload) == {
        "action": "rollback", "from_version": "2", "to_version": "1",
        "detail": "degraded on probation: p99 over budget",
    }  # fmt: skip


def test_a_flush_with_nothing_answered_writes_nothing(
    telemetry: DeviceTelemetry, outbox: Outbox
) -> None:
    assert telemetry.flush() == 0
    assert outbox.depth() == 0


async def with_channel(broker: Broker, work: Any) -> Any:
    """Run `work(js)` against the broker with the edge channel ensured."""
    client = await nats.connect(broker.url)
    try:
        js = client.jetstream()
        await ensure_channel(js)
        return await work(js)
    finally:
        await client.close()


async def stream_messages(js: JetStreamContext) -> int:
    return int((await js.stream_info(STREAM)).state.messages)


@pytest.fixture
def queued(
    telemetry: DeviceTelemetry, outbox: Outbox, schema: FeatureSchema, rows: list[dict[str, Any]]
) -> list[OutboxRecord]:
    """Predictions, a sketch and an event waiting in the outbox."""
    answer(telemetry, schema, rows)
    telemetry.event("swap", None, "1", "")
    telemetry.flush()
    return outbox.pending(1000)


def test_forward_once_publishes_every_pending_record_once_and_acknowledges_them(
    broker: Broker, outbox: Outbox, queued: list[OutboxRecord]
) -> None:
    forwarder = Forwarder(DEVICE, outbox)

    async def forward(js: JetStreamContext) -> tuple[int, int, list[TelemetryRecord]]:
        sent = await forwarder.forward_once(js)
        again = await forwarder.forward_once(js)
        count = await stream_messages(js)
        found = [
            TelemetryRecord.model_validate_json((await js.get_msg(STREAM, seq)).data or b"")
            for seq in range(1, count + 1)
        ]
        return sent, again, found

    sent, again, found = asyncio.run(with_channel(broker, forward))

    assert (sent, again) == (len(queued), 0)
    assert sorted(found, key=lambda r: r.seq) == [forwarder.wire(r) for r in queued]
    assert outbox.depth() == 0
    assert forwarder.forwarded == len(queued)  # every publish acked: none failed


def test_records_published_again_under_their_message_ids_are_kept_once(
    broker: Broker, outbox: Outbox, queued: list[OutboxRecord]
) -> None:
    """As when the broker's acks were lost with the link and the device sends again."""
    forwarder = Forwarder(DEVICE, outbox)

    async def forward_twice(js: JetStreamContext) -> tuple[list[bool], int]:
        await forwarder.forward_once(js)
        acks = [
            await js.publish(subject(DEVICE), wired.model_dump_json().encode(),
                             headers={"Nats-Msg-Id": wired.message_id})
            for wired in (forwarder.wire(record) for record in queued)
        ]  # fmt: skip
        return [bool(ack.duplicate) for ack in acks], await stream_messages(js)

    duplicates, messages = asyncio.run(with_channel(broker, forward_twice))

    assert duplicates == [True] * len(queued)
    assert messages == len(queued)


def test_a_record_s_message_id_is_its_device_and_outbox_seq() -> None:
    record = TelemetryRecord(device=DEVICE, seq=42, kind="event", at=0.0, body={})
    assert record.message_id == "shop-7:42"
