"""Model performance as ground truth arrives (accuracy, F1, ROC AUC on the labelled
predictions of a window), and latency against its baseline."""

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

from reference.platform.model.evaluation import DECISION_THRESHOLD


class PerformanceResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    labelled: int
    accuracy: float
    f1: float
    auc: float | None
    """None while the window holds one class only."""


def performance(
    labels: npt.NDArray[np.integer] | list[int],
    probabilities: npt.NDArray[np.floating] | list[float],
    threshold: float = DECISION_THRESHOLD,
) -> PerformanceResult:
    truth = np.asarray(labels, dtype=np.int64)
    scores = np.asarray(probabilities, dtype=np.float64)
    decisions = (scores >= threshold).astype(np.int64)
    both_classes = len(np.unique(truth)) == 2
    return PerformanceResult(
        labelled=len(truth),
        accuracy=float(accuracy_score(truth, decisions)) if len(truth) else 0.0,
        f1=float(f1_score(truth, decisions, zero_division=0.0)),
        auc=float(roc_auc_score(truth, scores)) if both_classes else None,
    )


class LatencyResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    p99_ms: float
    baseline_p99_ms: float | None
    """The p99 this one is compared with: configured, or learnt from the first windows."""

    @property
    def ratio(self) -> float | None:
        if self.baseline_p99_ms is None or self.baseline_p99_ms <= 0:
            return None
        return self.p99_ms / self.baseline_p99_ms
