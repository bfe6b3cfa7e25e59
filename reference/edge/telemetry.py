"""Edge telemetry: what a device reports, kept in its outbox while the link is down and
forwarded when it is up, without duplicates.

On the request path a device only queues what it answered (in memory); once a second the
queue goes to the outbox in one transaction, with a drift sketch of that second per served
version (histograms on the training bins, latency), so a crash loses at most a second of
telemetry and never an outbox write half-done. Features pass the PII policy before they are
queued: raw PII never reaches the disk nor leaves the device.

The forwarder publishes each record to JetStream with `<device>:<seq>` as its message id:
a record sent twice (its ack lost with the link) is dropped by the broker within the
deduplication window and by the cloud's collector after it, so the cloud sees every record
once. Records are acknowledged in the outbox only after the broker acked them.
"""

import asyncio
import contextlib
import json
import logging
import threading
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from nats.js.client import JetStreamContext
from pydantic import BaseModel, ConfigDict

from reference.edge.outbox import Outbox, OutboxRecord
from reference.platform.audit.pii import PiiRedactor
from reference.platform.monitoring.sketch import SketchBuilder
from reference.platform.monitoring.training_reference import MonitorReference

log = logging.getLogger(__name__)
SUBJECT_PREFIX = "edge.telemetry"
STREAM = "EDGE_TELEMETRY"
FORWARD_BATCH = 256
Kind = Literal["prediction", "sketch", "event"]
Answered = tuple[str, str, list[Mapping[str, Any]], list[float], list[int], float, float]
"""A request as answered: id, version, rows, probabilities, decisions, latency, when."""


class TelemetryRecord(BaseModel):
    """One record on the wire: the device and its outbox seq identify it for good."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    device: str
    seq: int
    kind: Kind
    at: float
    body: dict[str, Any]

    @property
    def message_id(self) -> str:
        return f"{self.device}:{self.seq}"


def subject(device: str) -> str:
    return f"{SUBJECT_PREFIX}.{device}"


class DeviceTelemetry:
    """The device's side: queues predictions and events, flushes them with sketches."""

    def __init__(self, device: str, model: str, outbox: Outbox, redactor: PiiRedactor) -> None:
        self.device, self.model, self.outbox, self.redactor = device, model, outbox, redactor
        self._lock = threading.Lock()
        self._predictions: list[Answered] = []
        self._events: list[str] = []
        self._builders: dict[str, SketchBuilder] = {}

    def prepare(self, version: str, reference: MonitorReference) -> None:
        """Sketch `version`'s traffic on its own training bins (carried by its release)."""
        with self._lock:
            if version not in self._builders:
                self._builders[version] = SketchBuilder(
                    reference, self.model, f"edge/{self.device}"
                )

    def predicted(
        self,
        request_id: str,
        version: str,
        rows: Sequence[Mapping[str, Any]],
        encoded: tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]],
        probabilities: npt.NDArray[np.float32],
        decisions: Sequence[int],
        latency_ms: float,
        at: float,
    ) -> None:
        answered = (request_id, version, list(rows), probabilities.tolist(), list(decisions),
                    latency_ms, at)  # fmt: skip
        with self._lock:
            self._predictions.append(answered)
            builder = self._builders.get(version)
        if builder is not None:
            builder.add(version, *encoded, probabilities, latency_ms)

    def refused(self, version: str, errors: Sequence[Mapping[str, Any]], instances: int) -> None:
        """Instances the device's validation refused: evidence of data quality, sketched
        against the version serving (a schema change upstream shows here first)."""
        with self._lock:
            builder = self._builders.get(version)
        if builder is not None:
            builder.refuse(version, errors, instances)

    def event(
        self, action: str, from_version: str | None, to_version: str | None, detail: str
    ) -> None:
        """A change of what serves (swap, rollback) or a refused release, for the cloud's
        deployment log."""
        body = {"action": action, "from_version": from_version, "to_version": to_version,
                "detail": detail[:1000]}  # fmt: skip
        with self._lock:
            self._events.append(json.dumps(body))

    def flush(self) -> int:
        """Queue -> outbox, with this second's sketches; the records written."""
        with self._lock:
            predictions, events = self._predictions, self._events
            self._predictions, self._events = [], []
            builders = list(self._builders.values())
        records = [record for answered in predictions for record in self._records(*answered)]
        sketches = [
            s.model_dump_json() for b in builders for s in b.build() if s.rows or s.rejected_rows
        ]
        written = 0
        for kind, payloads in (
            ("event", events),
            ("sketch", sketches),
            ("prediction", records),
        ):
            if payloads:
                written += len(self.outbox.append(kind, payloads))
        return written

    def _records(self, request_id: str, version: str, rows: list[Mapping[str, Any]],
                 probabilities: list[float], decisions: list[int], latency_ms: float,
                 at: float) -> list[str]:  # fmt: skip
        """One record per instance, its features through the PII policy: done once a second
        for the whole queue, not on the request path; raw features only ever in memory."""
        return [
            json.dumps({"request_id": request_id, "position": position, "version": version,
                        "probability": p, "label": d, "at": at, "latency_ms": latency_ms,
                        "features": self.redactor.apply(row)})
            for position, (row, p, d) in enumerate(zip(rows, probabilities, decisions, strict=True))
        ]  # fmt: skip

    async def run(self, stop: asyncio.Event, every_s: float = 1.0) -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), every_s)
            await asyncio.to_thread(self.flush)


class Forwarder:
    """Outbox -> JetStream, oldest first, acknowledged only once the broker acked."""

    def __init__(self, device: str, outbox: Outbox) -> None:
        self.device, self.outbox = device, outbox
        self.forwarded = 0

    def wire(self, record: OutboxRecord) -> TelemetryRecord:
        return TelemetryRecord(device=self.device, seq=record.seq, kind=record.kind,
                               at=record.at, body=json.loads(record.payload))  # fmt: skip

    async def forward_once(self, js: JetStreamContext, timeout_s: float = 5.0) -> int:
        """Send one batch; how many records the broker acknowledged (0: nothing pending)."""
        records = await asyncio.to_thread(self.outbox.pending, FORWARD_BATCH)
        if not records:
            return 0
        wired = [self.wire(r) for r in records]
        acks = await asyncio.gather(
            *(js.publish(subject(self.device), w.model_dump_json().encode(), timeout=timeout_s,
                         headers={"Nats-Msg-Id": w.message_id}) for w in wired),
            return_exceptions=True,
        )  # fmt: skip
        acked = [
            r.seq
            for r, ack in zip(records, acks, strict=True)
            if not isinstance(ack, BaseException)
        ]
        await asyncio.to_thread(self.outbox.acknowledge, acked)
        self.forwarded += len(acked)
        return len(acked)
