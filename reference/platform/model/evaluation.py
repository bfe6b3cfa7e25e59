"""Measure a model variant: quality on the test set and inference cost on one thread.

Cost is measured, not estimated: throughput at batch 256 and median latency at batch 1
are timed on the running model, after a warm-up, over a fixed minimum duration.
"""

import time
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel
from sklearn.metrics import accuracy_score, roc_auc_score

Predict = Callable[[npt.NDArray[np.float32], npt.NDArray[np.int64]], npt.NDArray[np.float32]]
DECISION_THRESHOLD = 0.5


class Quality(BaseModel):
    accuracy: float
    auc: float


class Cost(BaseModel):
    throughput_b256: float
    """Rows per second at batch 256 on one thread."""
    p50_us_b1: float
    """Median latency in microseconds of one single-row prediction."""
    p99_us_b1: float


class VariantMetrics(BaseModel):
    """Everything `readiness train --json` reports for one variant."""

    accuracy: float
    auc: float
    parameters: int
    macs: int
    throughput_b256: float
    p50_us_b1: float
    p99_us_b1: float
    size_bytes: int


def measure_quality(
    predict: Predict,
    numeric: npt.NDArray[np.float32],
    categorical: npt.NDArray[np.int64],
    labels: npt.NDArray[np.int64],
) -> tuple[Quality, npt.NDArray[np.float32]]:
    probability = predict(numeric, categorical)
    decisions = (probability >= DECISION_THRESHOLD).astype(np.int64)
    quality = Quality(
        accuracy=float(accuracy_score(labels, decisions)),
        auc=float(roc_auc_score(labels, probability)),
    )
    return quality, probability


def measure_cost(
    predict: Predict,
    numeric: npt.NDArray[np.float32],
    categorical: npt.NDArray[np.int64],
    seconds: float = 1.0,
    batch_size: int = 256,
) -> Cost:
    """Time batches of `batch_size` for at least `seconds`, then single rows as long."""
    batches = [
        (numeric[i : i + batch_size], categorical[i : i + batch_size])
        for i in range(0, len(numeric) - batch_size + 1, batch_size)
    ]
    for batch in batches[:5]:
        predict(*batch)
    rows, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        batch = batches[(rows // batch_size) % len(batches)]
        predict(*batch)
        rows += batch_size
    throughput = rows / elapsed

    timings: list[float] = []
    singles = min(len(numeric), 10_000)
    for i in range(20):
        predict(numeric[i : i + 1], categorical[i : i + 1])
    started = time.perf_counter()
    while time.perf_counter() - started < seconds or len(timings) < 50:
        i = len(timings) % singles
        tick = time.perf_counter_ns()
        predict(numeric[i : i + 1], categorical[i : i + 1])
        timings.append((time.perf_counter_ns() - tick) / 1000)
    p50, p99 = np.percentile(timings, [50, 99])
    return Cost(throughput_b256=throughput, p50_us_b1=float(p50), p99_us_b1=float(p99))
