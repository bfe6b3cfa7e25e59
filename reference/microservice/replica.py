"""The inference replica: ONNX Runtime behind a Ray Serve deployment, with dynamic batching.

Each call carries one or more requests' instances (the gateway already merges concurrent
requests); `@serve.batch` merges concurrent calls again into one ONNX Runtime run and
splits the answers back. The accelerator (CUDA execution provider) is used where present;
when it fails, the replica answers from its CPU fallback (the INT8 student) rather than
failing the request, and says so in its answer (`Predictions.fallback`) for the gateway to
count where the monitors can see it. Fault hooks, for the harness only, are read from a
fault file that exists only when the deployment enables faults.
"""

import asyncio
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from ray import serve

from readiness.errors import AcceleratorFailed, OperationFailed
from reference.microservice.backends import Predictions
from reference.microservice.faults import Fault, FaultFile
from reference.platform.explain.attributions import Attribution, LocalExplainer
from reference.platform.explain.counterfactual import Counterfactual, CounterfactualSearch
from reference.platform.explain.counterfactual_policy import load_counterfactual_policy
from reference.platform.model.runtime import OnnxModel
from reference.platform.model.schema import load_schema

Rows = tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]


@dataclass(frozen=True)
class ReplicaConfig:
    model: str
    version: str
    path: str
    fallback_path: str | None = None
    fault_file: str | None = None
    """Set only when the deployment enables fault hooks."""
    max_batch_size: int = 256
    batch_wait_timeout_s: float = 0.0
    """No waiting: the gateway already merges concurrent requests into one call, and calls
    that arrive together are still run together."""
    background: Rows | None = None
    """Rows the explainer integrates over; without them the replica does not explain."""


class ModelReplica:
    def __init__(self, config: ReplicaConfig) -> None:
        self.config = config
        self.primary = OnnxModel(Path(config.path), threads=1, prefer_gpu=True)
        fallback = config.fallback_path or config.path
        self.fallback = OnnxModel(Path(fallback), threads=1, prefer_gpu=False)
        self.faults = FaultFile(Path(config.fault_file)) if config.fault_file else None
        self.explainer: LocalExplainer | None = None
        self.search: CounterfactualSearch | None = None
        self.fallback_calls = 0
        self.runs = 0
        self.predict_batch.set_max_batch_size(config.max_batch_size)  # type: ignore[attr-defined]
        self.predict_batch.set_batch_wait_timeout_s(config.batch_wait_timeout_s)  # type: ignore[attr-defined]

    async def predict(
        self, numeric: npt.NDArray[np.float32], categorical: npt.NDArray[np.int64]
    ) -> Predictions:
        answer: Predictions = await self.predict_batch((numeric, categorical))
        return answer

    @serve.batch(max_batch_size=256, batch_wait_timeout_s=0.0)
    async def predict_batch(self, calls: list[Rows]) -> list[Predictions]:
        self.runs += 1
        sizes = [len(numeric) for numeric, _ in calls]
        numeric = np.concatenate([c[0] for c in calls]).astype(np.float32, copy=False)
        categorical = np.concatenate([c[1] for c in calls]).astype(np.int64, copy=False)
        state = self.faults.read() if self.faults else None
        if state is not None and state.fault is Fault.SLOW:
            await asyncio.sleep(state.delay_ms / 1000)
        try:
            if state is not None and state.fault is Fault.DEVICE_ERROR:
                raise AcceleratorFailed("injected device error")
            answered = Predictions.of(self.primary.predict(numeric, categorical))
        except AcceleratorFailed:
            self.fallback_calls += 1
            answered = Predictions.of(self.fallback.predict(numeric, categorical), fallback=True)
        return answered.split(sizes)

    async def explain(
        self, numeric: npt.NDArray[np.float32], categorical: npt.NDArray[np.int64]
    ) -> list[Attribution]:
        if self.config.background is None:
            raise OperationFailed("this replica was given no background data to explain")
        if self.explainer is None:
            self.explainer = LocalExplainer(
                self.primary.predict, load_schema(), *self.config.background
            )
        return self.explainer.explain(numeric, categorical)

    async def counterfactual(self, row: dict[str, Any]) -> Counterfactual:
        if self.search is None:
            schema = load_schema()
            policy = load_counterfactual_policy(schema=schema)
            self.search = CounterfactualSearch(self.primary.predict, schema, policy)
        return self.search.find(row)

    def pid(self) -> int:
        """The replica's process, for the kill-replica fault hook."""
        if self.faults is None:
            raise PermissionError("fault hooks are disabled for this deployment")
        return os.getpid()

    def stats(self) -> dict[str, int]:
        return {"fallback_calls": self.fallback_calls, "runs": self.runs}

    def check_health(self) -> None:
        """Serve calls this periodically; a replica that cannot predict is replaced."""
        self.fallback.predict(
            np.zeros((1, self._width()), np.float32), np.zeros((1, self._cats()), np.int64)
        )

    def _width(self) -> int:
        return int(self.fallback.session.get_inputs()[0].shape[1])

    def _cats(self) -> int:
        return int(self.fallback.session.get_inputs()[1].shape[1])
