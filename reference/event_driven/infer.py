"""Inference: the registry's champion (by alias) in ONNX Runtime, one run per fetched batch
(micro-batching), with the same integrity check as the microservice (the artifact's sha256
against its registry record). The stage follows the alias: when a promotion or an
automatic rollback moves it, the next batches are answered by the version it names, once
that version's artifact verifies; one that does not verify is refused and the current
model keeps answering. Sketches for the monitors are recorded as the gateway records them.
"""

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from readiness.errors import IntegrityFailed, InvalidInput
from reference.event_driven.messages import EnrichedEvent, InferenceResult
from reference.event_driven.stage import Rejected, Stage
from reference.event_driven.streams import ENRICHED, RESULTS
from reference.platform.model.artifacts import fetch_by_alias
from reference.platform.model.evaluation import DECISION_THRESHOLD
from reference.platform.model.registry import ModelRegistry
from reference.platform.model.runtime import OnnxModel
from reference.platform.model.schema import FeatureSchema, RecordEncoder
from reference.platform.monitoring.recorder import SketchRecorder

log = logging.getLogger(__name__)
ALIAS = "champion"


@dataclass(frozen=True)
class Served:
    version: str
    sha256: str
    model: OnnxModel


class Infer(Stage[EnrichedEvent, InferenceResult]):
    name = "infer"
    source = ENRICHED
    input_model = EnrichedEvent
    output_subject = RESULTS.subjects[0]

    def __init__(
        self,
        schema: FeatureSchema,
        tracking_uri: str,
        model: str,
        cache_dir: Path,
        recorder: SketchRecorder | None = None,
        refresh_s: float = 2.0,
    ) -> None:
        self.encoder = RecordEncoder(schema)
        self.tracking_uri, self.model_name, self.cache_dir = tracking_uri, model, cache_dir
        self.recorder, self.refresh_s = recorder, refresh_s
        self.served: Served | None = None
        self.registry: ModelRegistry | None = None
        self.integrity_refusals = 0
        self._tasks: list[asyncio.Task[None]] = []
        self._stop = asyncio.Event()

    def _load(self) -> Served:
        """The version the alias names, downloaded and verified only when it changed (the
        alias is read every few seconds; the artifact is not fetched again for that)."""
        if self.registry is None:
            self.registry = ModelRegistry(self.tracking_uri)
        if self.served is not None:
            named = self.registry.client.get_model_version_by_alias(self.model_name, ALIAS)
            if named.version == self.served.version:
                return self.served
        artifact = fetch_by_alias(self.registry, self.model_name, ALIAS, self.cache_dir)
        if self.served is not None and artifact.version == self.served.version:
            return self.served
        model = OnnxModel(artifact.path, threads=1, prefer_gpu=True)
        if self.recorder is not None:
            self.recorder.prepare(self.model_name, artifact.version)
        return Served(artifact.version, artifact.sha256, model)

    def _announce(self, served: Served) -> None:
        """The served version and its sha256 on the metrics (the previous one unset)."""
        from reference.event_driven.metrics import MODEL_INFO

        if self.served is not None and self.served.version != served.version:
            MODEL_INFO.labels(self.model_name, self.served.version, self.served.sha256).set(0)
        MODEL_INFO.labels(self.model_name, served.version, served.sha256).set(1)

    async def start(self, js: object) -> None:
        loaded = await asyncio.to_thread(self._load)
        self._announce(loaded)
        self.served = loaded
        log.info("infer: serving %s version %s", self.model_name, self.served.version)
        self._tasks.append(asyncio.create_task(self._follow_alias()))
        if self.recorder is not None:
            self._tasks.append(asyncio.create_task(self.recorder.run(self._stop)))

    async def _follow_alias(self) -> None:
        while not self._stop.is_set():
            await asyncio.sleep(self.refresh_s)
            try:
                found = await asyncio.to_thread(self._load)
            except (IntegrityFailed, InvalidInput) as refused:
                self.integrity_refusals += 1
                log.error(
                    "infer: keeps version %s: %s", self.served and self.served.version, refused
                )
                continue
            except Exception as problem:  # the registry away for a moment: try again later
                log.warning("infer: cannot read the registry: %s", problem)
                continue
            if self.served is None or found.version != self.served.version:
                log.info("infer: now serving version %s", found.version)
                self._announce(found)
                self.served = found

    async def process(
        self, batch: Sequence[EnrichedEvent]
    ) -> list[InferenceResult | Rejected | None]:
        served = self.served
        if served is None:
            raise RuntimeError("no model loaded")
        started = time.perf_counter()
        numeric, categorical = self.encoder.encode([event.features for event in batch])
        probabilities = served.model.predict(numeric, categorical)
        now = time.time()
        if self.recorder is not None:
            latency_ms = (time.perf_counter() - started) * 1000 / max(len(batch), 1)
            self.recorder.add(self.model_name, served.version, numeric, categorical,
                              probabilities, latency_ms)  # fmt: skip
        return [
            InferenceResult(
                event_id=event.event_id,
                event_time=event.event_time,
                features=event.features,
                model=self.model_name,
                version=served.version,
                probability=float(p),
                decision=int(p >= DECISION_THRESHOLD),
                inferred_at=now,
                request_id=event.request_id,
                position=event.position,
            )
            for event, p in zip(batch, probabilities, strict=True)
        ]

    async def close(self) -> None:
        """Stop following the alias; let the recorder write its last sketch first."""
        self._stop.set()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=self.refresh_s + 2)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
