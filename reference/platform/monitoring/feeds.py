"""The prediction log as the monitor service's feed of labelled predictions."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from reference.platform.audit.prediction_log import LabelledPrediction, PredictionLog
from reference.platform.monitoring.service import LabelledFeed


@dataclass(frozen=True, slots=True)
class LoggedLabel:
    """A feedback label and the prediction it labels, cursor = the feedback row's seq."""

    seq: int
    model: str
    version: str
    probability: float
    truth: int
    features: dict[str, Any]


LABEL_SETTLE_S = 2.0
"""Labels are read once this old: on a stream, a client's label can arrive before the
prediction it labels is logged (end to end is tens of milliseconds at nominal load)."""


def labelled_feed(log: PredictionLog) -> LabelledFeed:
    def feed(after: int, limit: int) -> Iterable[LoggedLabel]:
        return [_label(found) for found in log.labelled_since(after, limit, LABEL_SETTLE_S)]

    return feed


def _label(found: LabelledPrediction) -> LoggedLabel:
    prediction = found.prediction
    return LoggedLabel(
        seq=found.feedback_seq, model=prediction.model, version=prediction.version,
        probability=prediction.probability, truth=found.truth, features=prediction.features,
    )  # fmt: skip
