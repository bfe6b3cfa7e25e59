"""Where the gateway's predictions come from: an inference backend.

`InferenceBackend` is the seam between the gateway and the replicas, addressed by model
and version, so that the router can send a request to the champion, a canary or a shadow.
A prediction comes back as `Predictions`: the probabilities, and which of them the CPU
fallback answered because the accelerator path failed, so that the gateway can count what
a replica alone would otherwise know. `LocalBackend` runs ONNX Runtime in the gateway's own
process: the prototype profile, the bare baseline of the serving benchmark, and the test
double for the gateway. The Ray Serve backend implements the same protocol with replicas in
their own processes.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from readiness.errors import FaultUnsupported, OperationFailed
from reference.microservice.faults import FaultRequest
from reference.platform.explain.attributions import Attribution, LocalExplainer
from reference.platform.explain.counterfactual import Counterfactual, CounterfactualSearch
from reference.platform.explain.counterfactual_policy import load_counterfactual_policy
from reference.platform.model.runtime import OnnxModel
from reference.platform.model.schema import FeatureSchema

Background = tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]


@dataclass(frozen=True, eq=False)
class Predictions:
    """A backend's answer for a batch of instances, in their order: each one's probability
    of the positive class, and whether the CPU fallback answered it (the accelerator path
    failed)."""

    probabilities: npt.NDArray[np.float32]
    fallback: npt.NDArray[np.bool_]

    @classmethod
    def of(cls, probabilities: npt.NDArray[np.float32], *, fallback: bool = False) -> "Predictions":
        """Every instance answered by one path: the primary, or the fallback."""
        return cls(probabilities, np.full(len(probabilities), fallback))

    @property
    def fallback_instances(self) -> int:
        return int(np.count_nonzero(self.fallback))

    def __len__(self) -> int:
        return len(self.probabilities)

    def split(self, sizes: Sequence[int]) -> list["Predictions"]:
        """The answers of consecutive parts of `sizes` instances each."""
        offsets = np.cumsum(sizes)[:-1]
        parts = zip(np.split(self.probabilities, offsets), np.split(self.fallback, offsets),
                    strict=True)  # fmt: skip
        return [Predictions(p, f) for p, f in parts]


class Predictor(Protocol):
    """What the gateway's request stages ask of a backend: which versions answer, and
    their answers."""

    def loaded(self, model: str) -> set[str]:
        """The versions of `model` that can answer now."""
        ...

    async def predict(
        self,
        model: str,
        version: str,
        numeric: npt.NDArray[np.float32],
        categorical: npt.NDArray[np.int64],
    ) -> Predictions: ...


class InferenceBackend(Predictor, Protocol):
    async def load(self, model: str, version: str, path: Path) -> None: ...

    async def unload(self, model: str, version: str) -> None: ...

    async def explain(
        self,
        model: str,
        version: str,
        numeric: npt.NDArray[np.float32],
        categorical: npt.NDArray[np.int64],
    ) -> list[Attribution]: ...

    async def counterfactual(
        self, model: str, version: str, row: Mapping[str, Any]
    ) -> Counterfactual:
        """The cheapest change of actionable features that flips `row`'s decision."""
        ...

    async def inject(self, model: str, request: FaultRequest) -> str:
        """Apply a harness fault hook; returns what was done."""
        ...

    async def replicas(self, model: str) -> dict[str, int]:
        """Running replicas per version of `model`."""
        ...

    def batching(self, model: str) -> dict[str, tuple[int, int]]:
        """(remote calls, requests sent in them) per version of `model` that batches."""
        ...

    def faults_enabled(self) -> bool:
        """Whether the deployment was started with the harness's fault hooks
        (`readiness up --faults`)."""
        ...

    def ready(self) -> bool: ...


class LocalBackend:
    """ONNX Runtime in-process, one session per model version."""

    def __init__(self, schema: FeatureSchema, background: Background | None = None) -> None:
        self.schema, self.background = schema, background
        self._models: dict[tuple[str, str], OnnxModel] = {}
        self._explainers: dict[tuple[str, str], LocalExplainer] = {}
        self._searches: dict[tuple[str, str], CounterfactualSearch] = {}

    def load_now(self, model: str, version: str, path: Path) -> None:
        self._models[(model, version)] = OnnxModel(path, threads=1)

    async def load(self, model: str, version: str, path: Path) -> None:
        self.load_now(model, version, path)

    async def unload(self, model: str, version: str) -> None:
        self._models.pop((model, version), None)
        self._explainers.pop((model, version), None)
        self._searches.pop((model, version), None)

    def loaded(self, model: str) -> set[str]:
        return {version for name, version in self._models if name == model}

    async def predict(
        self,
        model: str,
        version: str,
        numeric: npt.NDArray[np.float32],
        categorical: npt.NDArray[np.int64],
    ) -> Predictions:
        return Predictions.of(self._models[(model, version)].predict(numeric, categorical))

    async def explain(
        self,
        model: str,
        version: str,
        numeric: npt.NDArray[np.float32],
        categorical: npt.NDArray[np.int64],
    ) -> list[Attribution]:
        explainer = self._explainers.get((model, version))
        if explainer is None:
            if self.background is None:
                raise OperationFailed("this backend was given no background data to explain")
            session = self._models[(model, version)]
            explainer = LocalExplainer(session.predict, self.schema, *self.background)
            self._explainers[(model, version)] = explainer
        return explainer.explain(numeric, categorical)

    async def counterfactual(
        self, model: str, version: str, row: Mapping[str, Any]
    ) -> Counterfactual:
        search = self._searches.get((model, version))
        if search is None:
            session = self._models[(model, version)]
            policy = load_counterfactual_policy(schema=self.schema)
            search = CounterfactualSearch(session.predict, self.schema, policy)
            self._searches[(model, version)] = search
        return search.find(row)

    async def inject(self, model: str, request: FaultRequest) -> str:
        raise FaultUnsupported("the in-process backend has no replicas to break")

    async def replicas(self, model: str) -> dict[str, int]:
        return dict.fromkeys(self.loaded(model), 1)

    def batching(self, model: str) -> dict[str, tuple[int, int]]:
        return {}  # one process, no remote call to share

    def faults_enabled(self) -> bool:
        return False

    def ready(self) -> bool:
        return bool(self._models)
