"""The cloud's telemetry collector: edge records from the stream into the prediction log and
the monitor store, each once. `python -m reference.edge.collector CONFIG.yaml`.

Predictions go to the prediction log (tenant `edge/<device>`, features as the device
redacted them), sketches to the monitor store where the platform's monitors judge them as
they judge the gateway's (source `edge/<device>`), changes of what a device serves to the
deployment log. The broker already dropped copies a device re-sent within its window; the
writes check again (prediction by request and position, sketch by `device:seq`), so a copy
that comes later, or a batch redelivered after this process died, is still written once.
Messages are acked only after they are written.
"""

import asyncio
import contextlib
import logging
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import nats
from nats.aio.msg import Msg
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from pydantic import BaseModel, ConfigDict, ValidationError

from readiness.documents import load_document
from readiness.errors import InvalidConfiguration
from reference.edge.channel import ensure_channel
from reference.edge.telemetry import STREAM, SUBJECT_PREFIX, TelemetryRecord
from reference.platform.audit.prediction_log import PredictionLog
from reference.platform.deploy.processes import run_until_signalled
from reference.platform.monitoring.sketch import Sketch
from reference.platform.monitoring.store import MonitorStore

log = logging.getLogger(__name__)
DURABLE = "collector"
BATCH = 256


class CollectorConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    broker_url: str
    audit_url: str
    model: str


class Collected(BaseModel):
    predictions: int = 0
    sketches: int = 0
    events: int = 0
    duplicates: int = 0
    invalid: int = 0


class Collector:
    def __init__(self, config: CollectorConfig) -> None:
        self.config = config
        self.log = PredictionLog(config.audit_url)
        self.store = MonitorStore(config.audit_url)
        self.totals = Collected()

    def write(self, records: list[TelemetryRecord]) -> Collected:
        """Write a batch; what was new in it."""
        rows = [_prediction_row(r, self.config.model) for r in records if r.kind == "prediction"]
        sketches = [(r.message_id, Sketch.model_validate(r.body)) for r in records
                    if r.kind == "sketch"]  # fmt: skip
        events = [r for r in records if r.kind == "event"]
        done = Collected()
        fresh = self.store.claim([r.message_id for r in events])
        for event in events:
            if event.message_id in fresh:
                self._log_event(event)
                done.events += 1
        done.predictions = self.log.write_new_predictions(rows, redacted=True)
        done.sketches = self.store.write_new_sketches(sketches)
        done.duplicates = (len(rows) - done.predictions + len(sketches) - done.sketches
                           + len(events) - done.events)  # fmt: skip
        return done

    def _log_event(self, record: TelemetryRecord) -> None:
        """A change of what a device serves, in the deployment log (claimed first: a crash
        between claim and write loses that one event rather than logging it twice)."""
        body = record.body
        self.log.log_deployment(
            f"edge/{record.device}", self.config.model, str(body.get("action", "event")),
            body.get("from_version"), body.get("to_version"),
            f"{body.get('detail', '')} [{record.message_id}]",
        )  # fmt: skip

    async def run(self, stop: asyncio.Event) -> None:
        client = await nats.connect(self.config.broker_url, max_reconnect_attempts=-1)
        js = client.jetstream()
        await ensure_channel(js)
        config = ConsumerConfig(durable_name=DURABLE, ack_policy=AckPolicy.EXPLICIT,
                                deliver_policy=DeliverPolicy.ALL, ack_wait=30,
                                max_ack_pending=4 * BATCH)  # fmt: skip
        subscription = await js.pull_subscribe(
            f"{SUBJECT_PREFIX}.>", DURABLE, STREAM, config=config
        )
        while not stop.is_set():
            try:
                messages = await subscription.fetch(BATCH, timeout=1.0)
            except TimeoutError:
                continue
            except Exception as problem:  # the broker restarting: fetch again
                log.warning("collector: fetch failed: %s", problem)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 1.0)
                continue
            await self._handle(messages)
        await client.close()

    async def _handle(self, messages: list[Msg]) -> None:
        records = []
        for message in messages:
            try:
                record = TelemetryRecord.model_validate_json(message.data)
                if record.kind == "prediction":
                    _prediction_row(record, self.config.model)  # what cannot be logged is invalid
                elif record.kind == "sketch":
                    Sketch.model_validate(record.body)
                records.append(record)
            except (ValidationError, KeyError, TypeError, ValueError) as invalid:
                self.totals.invalid += 1
                log.error("collector: dropped an invalid record: %s", str(invalid).splitlines()[0])
        try:
            done = await asyncio.to_thread(self.write, records)
        except Exception as problem:  # the store away for a moment: redelivered after ack_wait
            log.warning("collector: could not write a batch (%s); it comes again", problem)
            return
        for field in ("predictions", "sketches", "events", "duplicates"):
            setattr(self.totals, field, getattr(self.totals, field) + getattr(done, field))
        for message in messages:
            await message.ack()


def _prediction_row(record: TelemetryRecord, model: str) -> dict[str, Any]:
    body = record.body
    return {
        "request_id": str(body["request_id"]), "position": int(body["position"]),
        "at": datetime.fromtimestamp(float(body["at"]), UTC), "tenant": f"edge/{record.device}",
        "model": model, "version": str(body["version"]), "probability": float(body["probability"]),
        "label": int(body["label"]), "features": body.get("features"),
        "latency_ms": float(body["latency_ms"]),
    }  # fmt: skip


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        sys.stderr.write("usage: python -m reference.edge.collector CONFIG.yaml\n")
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    config = load_document(Path(argv[1]), CollectorConfig, InvalidConfiguration, "collector config")
    run_until_signalled(Collector(config).run)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
