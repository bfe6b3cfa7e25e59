"""The serving side of the monitors: one `SketchBuilder` per model version, flushed to the
monitor store every second, so a serving process (the gateway, a stream stage, an edge
device) only keeps array references on its request path and writes one row a second.

A version's builder needs its reference bins, fetched from the registry once: `prepare`
does that ahead of traffic (at start-up and when a version is loaded); rows of a version
whose reference has not arrived yet are counted as unsketched rather than waited for, so
the monitors never slow a request down.
"""

import asyncio
import contextlib
import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from reference.platform.monitoring.reference_store import ReferenceSource
from reference.platform.monitoring.sketch import SketchBuilder
from reference.platform.monitoring.store import MonitorStore

FLUSH_SECONDS = 1.0


class SketchRecorder:
    def __init__(
        self,
        references: ReferenceSource,
        store: MonitorStore,
        source: str,
        flush_seconds: float = FLUSH_SECONDS,
    ) -> None:
        self.references, self.store, self.source = references, store, source
        self.flush_seconds = flush_seconds
        self._builders: dict[tuple[str, str], SketchBuilder | None] = {}
        self._lock = threading.Lock()
        self.unsketched = 0
        """Rows seen before their version's reference arrived (or of a version without one)."""

    def prepare(self, model: str, version: str) -> bool:
        """Fetch the version's reference (blocking); False when it has none."""
        key = (model, version)
        with self._lock:
            if self._builders.get(key) is not None:
                return True
        reference = self.references.reference(model, version)
        builder = SketchBuilder(reference, model, self.source) if reference else None
        with self._lock:
            self._builders[key] = builder
        return builder is not None

    def _builder(self, model: str, version: str) -> SketchBuilder | None:
        key = (model, version)
        with self._lock:
            if key in self._builders:
                return self._builders[key]
            self._builders[key] = None  # fetched once, in the background
        threading.Thread(target=self.prepare, args=key, daemon=True).start()
        return None

    def add(
        self,
        model: str,
        version: str,
        numeric: npt.NDArray[np.floating],
        categorical: npt.NDArray[np.integer],
        scores: npt.NDArray[np.floating] | list[float],
        latency_ms: float | None = None,
    ) -> None:
        builder = self._builder(model, version)
        if builder is None:
            self.unsketched += len(numeric)
            return
        builder.add(version, numeric, categorical, scores, latency_ms)

    def refuse(
        self, model: str, version: str, errors: Iterable[Mapping[str, Any]], instances: int
    ) -> None:
        builder = self._builder(model, version)
        if builder is not None:
            builder.refuse(version, errors, instances)

    def flush(self) -> int:
        """Write every builder's sketch; the number written."""
        with self._lock:
            builders = [b for b in self._builders.values() if b is not None]
        sketches = [s for b in builders for s in b.build()]
        self.store.write_sketches(sketches)
        return len(sketches)

    async def run(self, stop: asyncio.Event) -> None:
        """Flush every `flush_seconds` until `stop`, then once more."""
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.flush_seconds)
            await asyncio.to_thread(self.flush)


def registry_recorder(
    tracking_uri: str, audit_url: str, cache_dir: Path, source: str
) -> SketchRecorder:
    """A recorder whose versions' references come from the registry (cached in
    `cache_dir`) and whose sketches go to the audit store's monitor tables."""
    from reference.platform.model.registry import ModelRegistry
    from reference.platform.monitoring.reference_store import RegistryReferences

    references = RegistryReferences(ModelRegistry(tracking_uri), cache_dir)
    return SketchRecorder(references, MonitorStore(audit_url), source)
