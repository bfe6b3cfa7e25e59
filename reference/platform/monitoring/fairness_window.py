"""Fairness in production: the training-time policy's metrics (fairlearn demographic parity
ratio and equalised odds difference by each sensitive attribute) on labelled live
predictions, plus calibration by group (mean predicted probability against the observed
rate), which the decisions alone cannot show."""

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import BaseModel, ConfigDict

from reference.platform.evaluation import DECISION_THRESHOLD
from reference.platform.fairness import FairnessPolicy, FairnessReport, assess_fairness


class GroupCalibration(BaseModel):
    group: str
    count: int
    mean_probability: float
    observed_rate: float

    @property
    def gap(self) -> float:
        return self.mean_probability - self.observed_rate


class FairnessWindow(BaseModel):
    model_config = ConfigDict(frozen=True)

    labelled: int
    report: FairnessReport
    calibration: dict[str, list[GroupCalibration]]

    @property
    def demographic_parity_ratio(self) -> dict[str, float]:
        """By attribute, for the attributes with two groups or more large enough to compare."""
        return {
            a.feature: a.demographic_parity_ratio
            for a in self.report.attributes
            if a.demographic_parity_ratio is not None
        }

    @property
    def equalized_odds_difference(self) -> dict[str, float]:
        return {
            a.feature: a.equalized_odds_difference
            for a in self.report.attributes
            if a.equalized_odds_difference is not None
        }

    def calibration_gap(self, feature: str) -> float:
        """The widest difference between two groups' calibration errors."""
        gaps = [g.gap for g in self.calibration.get(feature, []) if g.count]
        return max(gaps) - min(gaps) if gaps else 0.0


def fairness_window(
    labels: npt.NDArray[np.integer],
    probabilities: npt.NDArray[np.floating],
    groups: pd.DataFrame,
    policy: FairnessPolicy,
) -> FairnessWindow:
    """Rows whose group is unknown (the client did not send it) are left out of that
    attribute only."""
    truth = np.asarray(labels, dtype=np.int64)
    scores = np.asarray(probabilities, dtype=np.float64)
    decisions = (scores >= DECISION_THRESHOLD).astype(np.int64)
    known = groups[list(policy.sensitive_features)].notna().all(axis=1).to_numpy()
    report = assess_fairness(truth[known], decisions[known], groups[known], policy)
    calibration = {}
    for feature in policy.sensitive_features:
        present = groups[feature].notna().to_numpy()
        frame = pd.DataFrame({
            "group": groups.loc[present, feature].astype(str),
            "p": scores[present], "y": truth[present],
        })  # fmt: skip
        calibration[feature] = [
            GroupCalibration(group=str(name), count=len(rows),
                             mean_probability=float(rows.p.mean()),
                             observed_rate=float(rows.y.mean()))
            for name, rows in frame.groupby("group")
        ]  # fmt: skip
    return FairnessWindow(labelled=len(truth), report=report, calibration=calibration)
