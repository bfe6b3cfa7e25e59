"""Data quality of a window: what validation refused (schema changes, type changes, nulls,
unseen categories, values out of range), what it let through that the training data never
had (missing values above the training rate, values outside the training range), and how
far the numeric features' correlations moved; summed up in one score.

The score is the share of instances that were fit to use: refused instances count fully
against it (the sketch leaves out requests refused only for their size: not bad data);
the worst feature's excess missing rate and out-of-training-range share, and a correlation
change beyond its tolerance, scale it down. Rates are judged only on windows of at least
`min_rows` accepted rows: one row with a missing occupation is a 100% missing rate and
means nothing, and a quiet service closes windows that small by time. A correlation
estimated from n rows moves by about 1/sqrt(n) with nothing changed, so its tolerance widens
by three of those standard errors. 1.0 is a clean window, and a window where every instance
was refused scores 0.
"""

import numpy as np
from pydantic import BaseModel, ConfigDict

from reference.platform.monitoring.sketch import Sketch
from reference.platform.monitoring.training_reference import MonitorReference

CORRELATION_TOLERANCE = 0.2
MIN_ROWS = 200


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
    min_rows: int = MIN_ROWS,
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
    judged = sketch.rows >= min_rows
    change = _correlation_change(reference, sketch) if judged else None
    seen = sketch.rows + sketch.rejected_rows
    score = sketch.rows / seen if seen else 1.0
    if judged:
        allowed = correlation_tolerance + 3.0 / np.sqrt(rows)
        score *= (
            (1.0 - max(excess.values(), default=0.0))
            * (1.0 - max(outside.values(), default=0.0))
            * (1.0 - min(1.0, max(0.0, (change or 0.0) - allowed)))
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
