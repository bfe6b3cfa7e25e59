"""Fairness in production: the training-time policy's metrics (fairlearn demographic parity
ratio and equalised odds difference by each sensitive attribute) on labelled live
predictions, plus calibration by group (mean predicted probability against the observed
rate), which the decisions alone cannot show.

A live window is small: with a thousand labels, the women in it have a few dozen positive
outcomes, and their true positive rate is uncertain by about 0.08. The point estimate of the
equalised odds difference then crosses 0.1 by chance for a model whose true difference is
0.08, and an alert on it would cry wolf. So the window also carries the lower bound of a 95%
interval of each rate difference (normal approximation of two independent proportions): an
alert on the bound fires only when the data show the difference, not the noise."""

import math

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import BaseModel, ConfigDict

from reference.platform.model.evaluation import DECISION_THRESHOLD
from reference.platform.model.fairness import FairnessPolicy, FairnessReport, assess_fairness


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
    equalized_odds_lower: dict[str, float] = {}
    """By attribute: the 95% lower bound of the equalised odds difference among the groups
    the policy gates (0 when the data cannot tell the groups apart)."""

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
    lower = {
        feature: bound for feature in policy.sensitive_features
        if (bound := _odds_lower_bound(truth, decisions, groups[feature],
                                       policy.min_group_size)) is not None
    }  # fmt: skip
    return FairnessWindow(labelled=len(truth), report=report, calibration=calibration,
                          equalized_odds_lower=lower)  # fmt: skip


Z_95 = 1.959964


def _rate_gap_lower(hits: dict[str, tuple[int, int]]) -> float | None:
    """Lower 95% bound of the widest gap between two groups' rates (hits, trials)."""
    rates = {g: (h / n, n) for g, (h, n) in hits.items() if n > 0}
    if len(rates) < 2:
        return None
    high = max(rates, key=lambda g: rates[g][0])
    low = min(rates, key=lambda g: rates[g][0])
    (p, n), (q, m) = rates[high], rates[low]
    spread = math.sqrt(p * (1 - p) / n + q * (1 - q) / m)
    return max(0.0, p - q - Z_95 * spread)


def _odds_lower_bound(
    truth: npt.NDArray[np.int64],
    decisions: npt.NDArray[np.int64],
    group: pd.Series,
    min_group_size: int,
) -> float | None:
    present = group.notna().to_numpy()
    names = group[present].astype(str).to_numpy()
    truth, decisions = truth[present], decisions[present]
    positives: dict[str, tuple[int, int]] = {}
    negatives: dict[str, tuple[int, int]] = {}
    for name in np.unique(names):
        mine = names == name
        if mine.sum() < max(min_group_size, 1):
            continue
        actual = truth[mine] == 1
        positives[str(name)] = (int(decisions[mine][actual].sum()), int(actual.sum()))
        negatives[str(name)] = (int(decisions[mine][~actual].sum()), int((~actual).sum()))
    bounds = [b for b in (_rate_gap_lower(positives), _rate_gap_lower(negatives)) if b is not None]
    return max(bounds) if bounds else None
