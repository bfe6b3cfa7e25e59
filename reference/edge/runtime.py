"""The on-device runtime: one model in ONNX Runtime on one thread, kept current by signed
releases, answering with or without its link, and reporting what it did.

Production: the model comes only from the release channel and only after the model store
verified it (signature under the pinned key, sha256, canaries); a swapped-in version is on
probation and rolled back to the last good one if it degrades on the device; telemetry
goes through the durable outbox and the forwarder. Prototype, as teams first ship it: an
FP32 file copied onto the device by hand, never updated nor checked, and telemetry
published only while the link happens to be up (lost otherwise, uncounted).
"""

import asyncio
import contextlib
import logging
import re
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Self

import nats
import numpy as np
import numpy.typing as npt
from nats.aio.client import Client
from nats.js.client import JetStreamContext
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from readiness.errors import IntegrityFailed, ModelRefused, Problem
from readiness.provenance import sha256_file
from reference.edge import metrics
from reference.edge.channel import fetch_files, latest_entry
from reference.edge.health import Probation, Verdict
from reference.edge.models import Installed, ModelStore
from reference.edge.outbox import Outbox
from reference.edge.release import Release
from reference.edge.signing import load_public_key
from reference.edge.telemetry import DeviceTelemetry, Forwarder, TelemetryRecord, subject
from reference.platform.audit.pii import PiiRedactor, load_pii_key, load_pii_policy
from reference.platform.model.evaluation import DECISION_THRESHOLD
from reference.platform.model.runtime import OnnxModel
from reference.platform.model.schema import FeatureSchema, RecordEncoder
from reference.platform.serving.problems import refused_instances

log = logging.getLogger(__name__)
FETCH_TIMEOUT_S = 30.0
REQUEST_ID = re.compile(r"[A-Za-z0-9_.:-]{1,100}")


class DeviceConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    device: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,30}$")
    host: str = "127.0.0.1"
    port: int = Field(ge=1, le=65535)
    folder: Path
    model: str
    cloud_url: str
    """The cloud's NATS server as the device reaches it (through its link)."""
    profile: Literal["production", "prototype"] = "production"
    public_key: Path | None = None
    """The release key pinned on the device (production)."""
    model_file: Path | None = None
    """The model copied onto the device by hand (prototype)."""
    model_version: str = "copied-by-hand"
    pii_policy: Path
    pii_key_file: Path
    threads: int = Field(default=1, ge=1, le=64)
    latency_budget_ms: float = Field(default=50.0, gt=0)
    outbox_capacity: int = Field(default=50_000, ge=1)
    sync_every_s: float = Field(default=0.5, gt=0, le=60)
    prefer_gpu: bool = True
    """Use the CUDA execution provider where ONNX Runtime offers it."""

    @model_validator(mode="after")
    def _profile_has_its_model_source(self) -> Self:
        if self.profile == "production" and self.public_key is None:
            raise ValueError("public_key: a production device pins the release key")
        if self.profile == "prototype" and self.model_file is None:
            raise ValueError("model_file: a prototype device serves a file copied by hand")
        return self


@dataclass(frozen=True)
class Serving:
    version: str
    sha256: str
    model: OnnxModel


@dataclass(frozen=True)
class Answered:
    request_id: str
    version: str
    probabilities: npt.NDArray[np.float32]
    decisions: list[int]


class EdgeRuntime:
    def __init__(self, config: DeviceConfig, schema: FeatureSchema) -> None:
        self.config = config
        self.production = config.profile == "production"
        self.encoder, self.entity = RecordEncoder(schema), schema.entity
        self.redactor = PiiRedactor(load_pii_policy(config.pii_policy), schema,
                                    load_pii_key(config.pii_key_file))  # fmt: skip
        config.folder.mkdir(parents=True, exist_ok=True)
        self.served: Serving | None = None
        self.probation: Probation | None = None
        self.client: Client | None = None
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._rolling_back = False
        self._publishing: set[asyncio.Task[None]] = set()
        self.store: ModelStore | None = None
        self.outbox: Outbox | None = None
        self.telemetry: DeviceTelemetry | None = None
        self.forwarder: Forwarder | None = None
        if self.production:
            assert config.public_key is not None
            self.store = ModelStore(config.folder / "models", schema,
                                    load_public_key(config.public_key), config.threads,
                                    config.prefer_gpu)  # fmt: skip
            self.outbox = Outbox(config.folder / "outbox.db", config.outbox_capacity)
            self.telemetry = DeviceTelemetry(
                config.device, config.model, self.outbox, self.redactor
            )
            self.forwarder = Forwarder(config.device, self.outbox)

    # -- life -------------------------------------------------------------------------------
    async def start(self) -> None:
        if self.store is not None:
            installed = await asyncio.to_thread(self.store.serving)
            if installed is not None:
                self._serve(installed, on_probation=False)
        else:
            assert self.config.model_file is not None
            model = OnnxModel(self.config.model_file, self.config.threads, self.config.prefer_gpu)
            self._announce(Serving(self.config.model_version, sha256_file(self.config.model_file),
                                   model))  # fmt: skip
        self._tasks.append(asyncio.create_task(self._link()))
        if self.telemetry is not None:
            self._tasks += [asyncio.create_task(self._sync()),
                            asyncio.create_task(self.telemetry.run(self._stop)),
                            asyncio.create_task(self._forward())]  # fmt: skip

    async def stop(self) -> None:
        self._stop.set()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=5)
        for task in self._tasks:
            task.cancel()
        if self.telemetry is not None:
            await asyncio.to_thread(self.telemetry.flush)
        if self.client is not None:
            with contextlib.suppress(Exception):
                await self.client.close()
        if self.outbox is not None:
            self.outbox.close()

    def connected(self) -> bool:
        return self.client is not None and self.client.is_connected

    def _js(self) -> JetStreamContext | None:
        return self.client.jetstream() if self.client is not None and self.connected() else None

    async def _link(self) -> None:
        """Connect (again and again while the link is down at start); nats-py reconnects by
        itself once connected."""
        while not self._stop.is_set():
            try:
                self.client = await nats.connect(
                    self.config.cloud_url, name=self.config.device, allow_reconnect=True,
                    max_reconnect_attempts=-1, reconnect_time_wait=0.5, connect_timeout=2,
                    ping_interval=5, max_outstanding_pings=2,
                )  # fmt: skip
                return
            except Exception as problem:  # no route to the cloud yet: a device starts offline too
                log.info("%s: cloud not reachable (%s); trying again", self.config.device, problem)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), 1.0)

    # -- answering --------------------------------------------------------------------------
    def predict(self, rows: Sequence[Mapping[str, Any]], request_id: str | None) -> Answered:
        served = self.served
        if served is None:
            raise Problem(503, "no model yet: the device waits for its first verified release",
                          {"Retry-After": "5"})  # fmt: skip
        if request_id is not None and not REQUEST_ID.fullmatch(request_id):
            raise Problem(422, "x-request-id: 1 to 100 of letters, digits and _.:-")
        by_id = [i for i, row in enumerate(rows) if self.entity in row]
        if by_id:
            errors = [{"type": "value_error", "loc": ("body", "instances", i, self.entity)}
                      for i in by_id]  # fmt: skip
            raise Problem(422, [{"loc": list(e["loc"]), "msg": "a device has no feature store: "
                                 "send the applicant's features, not an id"} for e in errors],
                          errors=errors)  # fmt: skip
        request_id = request_id or uuid.uuid4().hex
        started = time.perf_counter()
        encoded = self.encoder.encode(rows)
        try:
            probabilities = served.model.predict(*encoded)
            if not np.all(np.isfinite(probabilities)):
                raise ValueError("it answered a probability that is not a number")
        except Exception as error:
            metrics.PREDICTIONS.labels(self.config.model, served.version, "error").inc(len(rows))
            self._observe(None)
            raise Problem(500, f"the model failed on this request: {error}") from error
        elapsed = time.perf_counter() - started
        decisions = [int(p >= DECISION_THRESHOLD) for p in probabilities]
        metrics.LATENCY.labels(self.config.model).observe(elapsed)
        metrics.PREDICTIONS.labels(self.config.model, served.version, "ok").inc(len(rows))
        latency_ms = elapsed * 1000
        if self.telemetry is not None:
            self.telemetry.predicted(request_id, served.version, rows, encoded, probabilities,
                                     decisions, latency_ms, time.time())  # fmt: skip
        else:
            self._publish_lossy(
                request_id, served.version, rows, probabilities, decisions, latency_ms
            )
        self._observe(latency_ms)
        return Answered(request_id, served.version, probabilities, decisions)

    def refused(self, problem: Problem) -> None:
        """A request validation refused, for the data-quality monitor (production)."""
        served = self.served
        if self.telemetry is None or served is None or problem.status != 422 or not problem.errors:
            return
        self.telemetry.refused(served.version, problem.errors, refused_instances(problem))

    def _publish_lossy(self, request_id: str, version: str, rows: Sequence[Mapping[str, Any]],
                       probabilities: npt.NDArray[np.float32], decisions: list[int],
                       latency_ms: float) -> None:  # fmt: skip
        """The prototype's telemetry: fire and forget while connected, nothing otherwise."""
        client = self.client
        if client is None or not client.is_connected:
            return
        now = time.time()
        for position, (row, p, d) in enumerate(zip(rows, probabilities, decisions, strict=True)):
            record = TelemetryRecord(
                device=self.config.device, seq=time.time_ns(), kind="prediction", at=now,
                body={"request_id": request_id, "position": position, "version": version,
                      "probability": float(p), "label": d, "at": now, "latency_ms": latency_ms,
                      "features": self.redactor.apply(row)},
            )  # fmt: skip
            task = asyncio.get_running_loop().create_task(
                client.publish(subject(self.config.device), record.model_dump_json().encode())
            )
            self._publishing.add(task)  # the loop keeps only weak references to tasks
            task.add_done_callback(self._publishing.discard)

    def _observe(self, latency_ms: float | None) -> None:
        probation = self.probation
        if probation is None:
            return
        probation.observe(latency_ms)
        verdict = probation.verdict()
        if verdict is Verdict.DEGRADED and not self._rolling_back:
            self._rolling_back = True
            self._tasks.append(asyncio.get_running_loop().create_task(self._roll_back(probation)))
        elif verdict is Verdict.CONFIRMED:
            self.probation = None
            if self.store is not None:
                self.store.confirm()
                log.info("%s: version %s confirmed", self.config.device, probation.version)

    async def _roll_back(self, probation: Probation) -> None:
        assert self.store is not None
        assert self.telemetry is not None
        try:
            reason = f"degraded on probation: {probation.reason}"
            installed = await asyncio.to_thread(self.store.roll_back, reason)
            metrics.ROLLBACKS.inc()
            self.probation = None
            if installed is not None:
                self._serve(installed, on_probation=False, action="rollback", detail=reason)
            log.warning("%s: rolled back version %s: %s", self.config.device, probation.version,
                        reason)  # fmt: skip
        finally:
            self._rolling_back = False

    def _serve(self, installed: Installed, on_probation: bool, action: str = "swap",
               detail: str = "") -> None:  # fmt: skip
        previous = self.served
        self._announce(Serving(installed.version, installed.release.sha256, installed.model))
        if self.telemetry is not None:
            self.telemetry.prepare(installed.version, installed.reference)
            if previous is not None and previous.version != installed.version:
                self.telemetry.event(action, previous.version, installed.version, detail)
        if on_probation:
            self.probation = Probation(installed.version, self.config.latency_budget_ms)
            metrics.SWAPS.inc()

    def _announce(self, serving: Serving) -> None:
        previous = self.served
        if previous is not None:
            metrics.MODEL_INFO.labels(self.config.model, previous.version, previous.sha256).set(0)
        metrics.MODEL_INFO.labels(self.config.model, serving.version, serving.sha256).set(1)
        self.served = serving

    # -- sync -------------------------------------------------------------------------------
    async def _sync(self) -> None:
        """Follow the release channel: each new manifest once, verified before it serves."""
        seen: int | None = None
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self.config.sync_every_s)
            js = self._js()
            if js is None:
                continue
            try:
                entry = await latest_entry(js, self.config.model)
                if entry is None or entry[0] == seen:
                    continue
                if await self._consider(js, entry[1]):
                    seen = entry[0]
            except Exception as problem:  # the link went while reading: try again later
                log.info("%s: release check failed (%s)", self.config.device, problem)

    async def _consider(self, js: JetStreamContext, manifest: bytes) -> bool:
        """Verify and maybe serve one manifest; False when it must be looked at again."""
        assert self.store is not None
        try:
            release = Release.model_validate_json(manifest)
        except ValidationError as invalid:
            self._refused("malformed", None, str(invalid).splitlines()[0])
            return True
        if release.model != self.config.model:
            self._refused("malformed", release, f"a release of {release.model}")
            return True
        if self.store.is_current(release) or self.store.is_refused(release):
            return True
        files = await asyncio.wait_for(fetch_files(js, release), FETCH_TIMEOUT_S)
        try:
            installed = await asyncio.to_thread(self.store.install, release, *files)
        except IntegrityFailed as refused:
            reason = "signature" if "signature" in str(refused) else "sha256"
            self._refused(reason, release, str(refused))
            return True
        except ModelRefused as refused:
            self._refused("smoke-test", release, str(refused))
            return True
        await asyncio.to_thread(self.store.activate, installed)
        self._serve(installed, on_probation=True)
        log.info("%s: now serving version %s", self.config.device, installed.version)
        return True

    def _refused(self, reason: str, release: Release | None, detail: str) -> None:
        metrics.REFUSALS.labels(reason).inc()
        version = release.version if release is not None else None
        log.error("%s: refused release %s (%s): %s", self.config.device, version, reason, detail)
        if self.telemetry is not None:
            current = self.served.version if self.served is not None else None
            self.telemetry.event("refused", current, version, f"{reason}: {detail}")

    # -- forwarding -------------------------------------------------------------------------
    async def _forward(self) -> None:
        assert self.forwarder is not None
        while not self._stop.is_set():
            js = self._js()
            sent = 0
            if js is not None:
                try:
                    sent = await self.forwarder.forward_once(js)
                except Exception as problem:
                    log.info("%s: forwarding paused (%s)", self.config.device, problem)
            metrics.FORWARDED.inc(sent)
            if sent == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), 0.2)

    # -- status -----------------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        state = self.store.state() if self.store is not None else None
        served = self.served
        depth = self.outbox.depth() if self.outbox is not None else 0
        dropped = self.outbox.dropped() if self.outbox is not None else {}
        metrics.OUTBOX_DEPTH.set(depth)
        for kind, count in dropped.items():
            metrics.DROPPED.labels(kind).set(count)
        metrics.LINK_UP.set(1 if self.connected() else 0)
        return {
            "device": self.config.device, "profile": self.config.profile,
            "version": served.version if served else None,
            "sha256": served.sha256 if served else None,
            "last_good": state.last_good if state else None,
            "refused": state.refused if state else {},
            "probation": self.probation.version if self.probation else None,
            "link": "up" if self.connected() else "down",
            "outbox_depth": depth, "dropped": dropped,
            "forwarded": self.forwarder.forwarded if self.forwarder else 0,
        }  # fmt: skip
