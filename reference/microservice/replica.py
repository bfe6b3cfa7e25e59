"""The inference replica: ONNX Runtime behind a Ray Serve deployment, with dynamic batching.

Each call carries a whole request's instances; `@serve.batch` merges concurrent calls into
one ONNX Runtime run and splits the answers back, so the per-call cost of Ray is paid once
per batch. The accelerator (CUDA execution provider) is used where present; when it fails,
the replica answers from its CPU fallback (the INT8 student) rather than failing the
request. Fault hooks, for the harness only, are off unless the deployment enables them.
"""

import asyncio
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import numpy as np
import numpy.typing as npt
from ray import serve

from reference.platform.models.runtime import OnnxModel

Rows = tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]


class Fault(StrEnum):
    NONE = "none"
    DEVICE_ERROR = "device_error"
    SLOW = "slow"


class AcceleratorError(RuntimeError):
    """The accelerator path failed (a device error); the CPU fallback answers instead."""


@dataclass(frozen=True)
class ReplicaConfig:
    model: str
    version: str
    path: str
    fallback_path: str | None = None
    faults_enabled: bool = False
    max_batch_size: int = 256
    batch_wait_timeout_s: float = 0.002


class ModelReplica:
    def __init__(self, config: ReplicaConfig) -> None:
        self.config = config
        self.primary = OnnxModel(Path(config.path), threads=1, prefer_gpu=True)
        fallback = config.fallback_path or config.path
        self.fallback = OnnxModel(Path(fallback), threads=1, prefer_gpu=False)
        self.fault, self.delay_s = Fault.NONE, 0.0
        self.fallback_calls = 0
        self.runs = 0
        self.predict_batch.set_max_batch_size(config.max_batch_size)  # type: ignore[attr-defined]
        self.predict_batch.set_batch_wait_timeout_s(config.batch_wait_timeout_s)  # type: ignore[attr-defined]

    async def predict(
        self, numeric: npt.NDArray[np.float32], categorical: npt.NDArray[np.int64]
    ) -> tuple[str, npt.NDArray[np.float32]]:
        answer: npt.NDArray[np.float32] = await self.predict_batch((numeric, categorical))
        return self.config.version, answer

    @serve.batch(max_batch_size=256, batch_wait_timeout_s=0.002)
    async def predict_batch(self, calls: list[Rows]) -> list[npt.NDArray[np.float32]]:
        self.runs += 1
        sizes = [len(numeric) for numeric, _ in calls]
        numeric = np.concatenate([c[0] for c in calls]).astype(np.float32, copy=False)
        categorical = np.concatenate([c[1] for c in calls]).astype(np.int64, copy=False)
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        try:
            if self.fault is Fault.DEVICE_ERROR:
                raise AcceleratorError("injected device error")
            probabilities = self.primary.predict(numeric, categorical)
        except AcceleratorError:
            self.fallback_calls += 1
            probabilities = self.fallback.predict(numeric, categorical)
        return list(np.split(probabilities, np.cumsum(sizes)[:-1]))

    def set_fault(self, fault: str, delay_ms: float = 0.0) -> str:
        """Harness fault hook; refused unless the deployment enabled faults."""
        if not self.config.faults_enabled:
            raise PermissionError("fault hooks are disabled for this deployment")
        self.fault = Fault(fault)
        self.delay_s = delay_ms / 1000 if self.fault is Fault.SLOW else 0.0
        return self.fault.value

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
