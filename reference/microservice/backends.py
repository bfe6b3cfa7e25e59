"""Where the gateway's predictions come from: an inference backend.

`InferenceBackend` is the seam between the gateway and the replicas. `LocalBackend` runs
ONNX Runtime in the gateway's own process: the prototype profile, the bare baseline of the
serving benchmark, and the test double for the gateway. The Ray Serve backend implements
the same protocol.
"""

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt

from reference.platform.models.runtime import OnnxModel


@dataclass(frozen=True)
class ServedVersion:
    model: str
    version: str


class InferenceBackend(Protocol):
    def served(self, model: str) -> ServedVersion | None:
        """The version answering for `model` now, or None when it is not served."""
        ...

    async def predict(
        self, model: str, numeric: npt.NDArray[np.float32], categorical: npt.NDArray[np.int64]
    ) -> tuple[ServedVersion, npt.NDArray[np.float32]]: ...

    def ready(self) -> bool: ...


class LocalBackend:
    """ONNX Runtime in-process, one session per model."""

    def __init__(self) -> None:
        self._models: dict[str, tuple[ServedVersion, OnnxModel]] = {}

    def load(self, model: str, version: str, path: Path) -> None:
        self._models[model] = (ServedVersion(model, version), OnnxModel(path, threads=1))

    def served(self, model: str) -> ServedVersion | None:
        entry = self._models.get(model)
        return entry[0] if entry else None

    async def predict(
        self, model: str, numeric: npt.NDArray[np.float32], categorical: npt.NDArray[np.int64]
    ) -> tuple[ServedVersion, npt.NDArray[np.float32]]:
        served, session = self._models[model]
        return served, session.predict(numeric, categorical)

    def ready(self) -> bool:
        return bool(self._models)
