"""Encoded rows, a fixed score in place of a model, and sketches built from them the way
serving processes build theirs (requests of a few rows each)."""

import numpy as np
import numpy.typing as npt
import pandas as pd

from reference.platform.model.schema import FeatureSchema
from reference.platform.monitoring.sketch import Sketch, SketchBuilder
from reference.platform.monitoring.training_reference import MonitorReference

Encoded = tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]


def score(numeric: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
    """A stand-in model: older applicants with more education score higher."""
    age, education = numeric[:, 0].astype(np.float64), numeric[:, 2].astype(np.float64)
    return 1 / (1 + np.exp(-(0.05 * (age - 40) + 0.4 * (education - 10))))


def build(reference: MonitorReference, schema: FeatureSchema, rows: pd.DataFrame) -> Sketch:
    builder = SketchBuilder(reference, "adult-income")
    numeric, categorical = schema.encode(rows)
    for start in range(0, len(rows), 7):  # requests of a few rows each
        part = slice(start, start + 7)
        builder.add("3", numeric[part], categorical[part], score(numeric[part]), latency_ms=2.0)
    return builder.build()[0]
