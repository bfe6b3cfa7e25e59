"""Sketches: what a serving process keeps about its predictions for the monitors, small,
cheap to make and mergeable.

A sketch holds counts on the reference's fixed bins per feature and for the output, the
sums that give the numeric features' correlations, values outside the training range,
instances refused by validation (by kind and field: the signature of a schema change, a
type change, nulls or an unseen category), and a latency histogram. Sketches from several
processes, replicas or devices add up to the sketch of all their traffic, so the monitor
never needs the rows themselves, and a device can send a sketch instead of its data.

`SketchBuilder` is the producer side: on the request path it only keeps references to
the arrays a prediction already encoded (no per-row Python work); binning runs vectorised
over the whole buffer when the sketch is built, once per flush. `benchmarks/monitoring.py`
measures what that costs per prediction.
"""

import math
import threading
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from reference.platform.monitoring.training_reference import (
    MonitorReference,
    categorical_bin_counts,
    numeric_bin_counts,
    score_bin_counts,
)

LATENCY_BASE_MS = 0.05
LATENCY_RATIO = 1.05
"""Latency buckets grow by 5%, so a percentile read from them is within 5% of the truth."""


class Sketch(BaseModel):
    """One producer's summary of the predictions of one model version over a time span."""

    model_config = ConfigDict(frozen=True)

    model: str
    version: str
    source: str = ""
    started: datetime
    ended: datetime
    rows: int = Field(ge=0)
    counts: dict[str, list[int]]
    scores: list[int]
    moments_n: int = 0
    moments_sum: list[float] = Field(default_factory=list)
    moments_cross: list[list[float]] = Field(default_factory=list)
    out_of_range: dict[str, int] = Field(default_factory=dict)
    rejected_rows: int = 0
    rejected: dict[str, int] = Field(default_factory=dict)
    """'kind:field' -> instances refused for it (kinds: schema, type, null, range, category,
    size)."""
    latency_ms: dict[int, int] = Field(default_factory=dict)
    """Bucket index -> requests; bucket i ends at LATENCY_BASE_MS * LATENCY_RATIO ** i."""

    def merge(self, other: "Sketch") -> "Sketch":
        """The sketch of both spans' traffic (same model version and reference)."""
        cross = (
            (np.asarray(self.moments_cross) + np.asarray(other.moments_cross)).tolist()
            if self.moments_n and other.moments_n
            else self.moments_cross or other.moments_cross
        )
        total = (
            (np.asarray(self.moments_sum) + np.asarray(other.moments_sum)).tolist()
            if self.moments_n and other.moments_n
            else self.moments_sum or other.moments_sum
        )
        return Sketch(
            model=self.model, version=self.version, source=self.source,
            started=min(self.started, other.started), ended=max(self.ended, other.ended),
            rows=self.rows + other.rows,
            counts={k: _add(v, other.counts.get(k, [])) for k, v in self.counts.items()},
            scores=_add(self.scores, other.scores),
            moments_n=self.moments_n + other.moments_n, moments_sum=total, moments_cross=cross,
            out_of_range=dict(Counter(self.out_of_range) + Counter(other.out_of_range)),
            rejected_rows=self.rejected_rows + other.rejected_rows,
            rejected=dict(Counter(self.rejected) + Counter(other.rejected)),
            latency_ms=dict(Counter(self.latency_ms) + Counter(other.latency_ms)),
        )  # fmt: skip

    def correlation(self) -> npt.NDArray[np.float64] | None:
        """Pearson correlations of the numeric features, or None with under 30 rows."""
        if self.moments_n < 30:
            return None
        n = self.moments_n
        mean = np.asarray(self.moments_sum) / n
        covariance = np.asarray(self.moments_cross) / n - np.outer(mean, mean)
        spread = np.sqrt(np.clip(np.diag(covariance), 0, None))
        with np.errstate(invalid="ignore", divide="ignore"):
            matrix = covariance / np.outer(spread, spread)
        return np.asarray(np.nan_to_num(matrix), dtype=np.float64)

    def latency_percentile(self, q: float) -> float | None:
        """The upper edge of the bucket holding the q-th percentile request, in ms."""
        total = sum(self.latency_ms.values())
        if total == 0:
            return None
        needed, seen = q / 100 * total, 0
        for index in sorted(self.latency_ms):
            seen += self.latency_ms[index]
            if seen >= needed:
                return float(LATENCY_BASE_MS * LATENCY_RATIO**index)
        return None


def _add(a: list[int], b: list[int]) -> list[int]:
    if not b:
        return list(a)
    if not a:
        return list(b)
    return [x + y for x, y in zip(a, b, strict=True)]


def latency_bucket(milliseconds: float) -> int:
    if milliseconds <= LATENCY_BASE_MS:
        return 0
    return math.ceil(math.log(milliseconds / LATENCY_BASE_MS) / math.log(LATENCY_RATIO))


def latency_buckets(milliseconds: npt.NDArray[np.float64]) -> dict[int, int]:
    """`latency_bucket` of every value, counted (vectorised: one flush holds thousands)."""
    if milliseconds.size == 0:
        return {}
    with np.errstate(divide="ignore"):
        scaled = np.log(np.maximum(milliseconds, LATENCY_BASE_MS) / LATENCY_BASE_MS)
    index = np.ceil(scaled / math.log(LATENCY_RATIO) - 1e-9).astype(np.int64)
    found, counts = np.unique(index, return_counts=True)
    return dict(zip(found.tolist(), counts.tolist(), strict=True))


def rejection_kind(error: Mapping[str, Any]) -> str:
    """What a pydantic validation error says about the data: a null, a field the schema
    does not have or lacks (a schema change), a type change, a value out of range, or an
    unseen category."""
    kind = str(error.get("type", ""))
    if "input" in error and error["input"] is None:
        return "null"
    if kind in ("extra_forbidden", "missing"):
        return "schema"
    if kind == "literal_error":
        return "category"
    if kind in ("too_long", "too_short"):
        return "size"
    if kind.startswith(("greater_than", "less_than")) or kind == "finite_number":
        return "range"
    return "type"


def _field(error: Mapping[str, Any]) -> str:
    location = [str(p) for p in error.get("loc", ()) if not isinstance(p, int)]
    return location[-1] if location else "body"


class SketchBuilder:
    """Collects one model's predictions between flushes; thread-safe, cheap per request."""

    def __init__(self, reference: MonitorReference, model: str, source: str = "") -> None:
        self.reference, self.model, self.source = reference, model, source
        self._lock = threading.Lock()
        self._reset()

    def _reset(self) -> None:
        self._parts: dict[str, list[tuple[Any, Any, Any]]] = {}
        self._latencies: dict[str, list[float]] = {}
        self._rejected: dict[str, Counter[str]] = {}
        self._rejected_rows: Counter[str] = Counter()
        self._started = datetime.now(UTC)

    def add(
        self,
        version: str,
        numeric: npt.NDArray[np.floating],
        categorical: npt.NDArray[np.integer],
        scores: npt.NDArray[np.floating] | list[float],
        latency_ms: float | None = None,
    ) -> None:
        """Rows as the model saw them (encoded) and what it answered; one request's latency."""
        with self._lock:
            self._parts.setdefault(version, []).append((numeric, categorical, scores))
            if latency_ms is not None:
                self._latencies.setdefault(version, []).append(latency_ms)

    def refuse(self, version: str, errors: Iterable[Mapping[str, Any]], instances: int = 1) -> None:
        """Instances validation refused (on their way to `version`), with the errors. A
        request refused only for its size (too many instances) is counted by kind but adds
        no rejected rows: it says nothing about the data in it."""
        kinds = [(rejection_kind(error), _field(error)) for error in errors]
        with self._lock:
            if any(kind != "size" for kind, _ in kinds):
                self._rejected_rows[version] += instances
            counts = self._rejected.setdefault(version, Counter())
            for kind, field in kinds:
                counts[f"{kind}:{field}"] += 1

    @property
    def pending(self) -> int:
        with self._lock:
            return sum(len(n) for parts in self._parts.values() for n, _, _ in parts)

    def build(self) -> list[Sketch]:
        """One sketch per version seen since the last build, and a fresh start."""
        with self._lock:
            parts, latencies = self._parts, self._latencies
            rejected, rejected_rows, started = self._rejected, self._rejected_rows, self._started
            self._reset()
        ended = datetime.now(UTC)
        sketches = []
        for version in sorted(set(parts) | set(rejected)):
            sketch = self._sketch(version, parts.get(version, []), latencies.get(version, []),
                                  started, ended)  # fmt: skip
            if rejected.get(version):
                update = {"rejected_rows": rejected_rows[version],
                          "rejected": dict(rejected[version])}  # fmt: skip
                sketch = sketch.model_copy(update=update)
            sketches.append(sketch)
        return sketches

    def _sketch(
        self,
        version: str,
        parts: list[tuple[Any, Any, Any]],
        latencies: list[float],
        started: datetime,
        ended: datetime,
    ) -> Sketch:
        reference = self.reference
        width = (len(reference.numeric), len(reference.categorical))
        numeric = np.concatenate([p[0] for p in parts]) if parts else np.empty((0, width[0]))
        categorical = (
            np.concatenate([p[1] for p in parts]) if parts else np.empty((0, width[1]), np.int64)
        )
        scores = np.concatenate([p[2] for p in parts]) if parts else np.empty(0)
        numeric = numeric.astype(np.float64, copy=False)
        counts: dict[str, list[int]] = {}
        out_of_range: dict[str, int] = {}
        for column, bins in zip(numeric.T, reference.numeric, strict=True):
            counts[bins.feature] = numeric_bin_counts(column, bins.edges).tolist()
            out_of_range[bins.feature] = int(((column < bins.low) | (column > bins.high)).sum())
        for column, cats in zip(categorical.T, reference.categorical, strict=True):
            counts[cats.feature] = categorical_bin_counts(column, len(cats.categories)).tolist()
        complete = numeric[~np.isnan(numeric).any(axis=1)]
        buckets = latency_buckets(np.asarray(latencies, dtype=np.float64))
        return Sketch(
            model=self.model, version=version, source=self.source, started=started,
            ended=ended, rows=len(numeric), counts=counts,
            scores=score_bin_counts(scores).tolist(),
            moments_n=len(complete), moments_sum=complete.sum(axis=0).tolist(),
            moments_cross=(complete.T @ complete).tolist(), out_of_range=out_of_range,
            latency_ms=buckets,
        )  # fmt: skip
