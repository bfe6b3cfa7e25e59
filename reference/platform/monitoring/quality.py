"""Data quality of a window: what validation refused (schema changes, type changes, nulls,
unseen categories, values out of range), what it let through that the training data never
had (missing values above the training rate, values outside the training range), and how
far the numeric features' correlations moved; summed up in one score.

The score is the share of instances that were fit to use: refused instances count fully
against it; the worst feature's excess missing rate and out-of-training-range share, and a
correlation change beyond its tolerance, scale it down. 1.0 is a clean window, and a window
where every instance was refused scores 0.
"""

import numpy as np
from pydantic import BaseModel, ConfigDict

from reference.platform.monitoring.reference import MonitorReference
from reference.platform.monitoring.sketch import Sketch

CORRELATION_TOLERANCE = 0.2


class QualityResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    rows: int
    rejected_rows: int
    refused: dict[str, dict[str, int]]
    """Kind (schema, type, null, range, category) -> field -> refused instances."""
    missing_rate: dict[str, float]
    excess_missing: dict[str, float]
    out_of_training_range: dict[str, float]
    correlation_change: float | None
    score: float

    @property
    def schema_changes(self) -> int:
        return sum(self.refused.get("schema", {}).values())

    def count(self, kind: str) -> int:
        return sum(self.refused.get(kind, {}).values())


def quality(
    reference: MonitorReference,
    sketch: Sketch,
    correlation_tolerance: float = CORRELATION_TOLERANCE,
) -> QualityResult:
    refused: dict[str, dict[str, int]] = {}
    for key, count in sketch.rejected.items():
        kind, _, field = key.partition(":")
        refused.setdefault(kind, {})[field] = count
    rows = max(sketch.rows, 1)
    missing, excess = {}, {}
    for feature, expected in reference.expected.items():
        counts = sketch.counts.get(feature)
        index = reference.missing_index(feature)
        missing[feature] = counts[index] / rows if counts and sketch.rows else 0.0
        excess[feature] = max(0.0, missing[feature] - expected[index])
    outside = {f: n / rows for f, n in sketch.out_of_range.items()} if sketch.rows else {}
    change = _correlation_change(reference, sketch)
    seen = sketch.rows + sketch.rejected_rows
    valid = sketch.rows / seen if seen else 1.0
    consistency = 1.0 - min(1.0, max(0.0, (change or 0.0) - correlation_tolerance))
    score = (
        valid
        * (1.0 - max(excess.values(), default=0.0))
        * (1.0 - max(outside.values(), default=0.0))
        * consistency
    )
    return QualityResult(
        rows=sketch.rows, rejected_rows=sketch.rejected_rows, refused=refused,
        missing_rate=missing, excess_missing=excess, out_of_training_range=outside,
        correlation_change=change, score=max(0.0, min(1.0, score)),
    )  # fmt: skip


def _correlation_change(reference: MonitorReference, sketch: Sketch) -> float | None:
    current = sketch.correlation()
    if current is None or not reference.correlation:
        return None
    return float(np.max(np.abs(current - np.asarray(reference.correlation))))
