"""Fairness of a model's decisions by sensitive group, and the policy that gates approval.

Metrics come from fairlearn (`MetricFrame`, demographic parity ratio, equalised odds
difference). The policy is data: which attributes, which thresholds, and how small a group
may be before it is reported but not gated.
"""

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
from fairlearn.metrics import (
    MetricFrame,
    demographic_parity_ratio,
    equalized_odds_difference,
    false_positive_rate,
    selection_rate,
    true_positive_rate,
)
from pydantic import BaseModel, ConfigDict, Field

from readiness.documents import load_document
from readiness.errors import InvalidPolicy
from readiness.resources import shipped

POLICY_FOLDER = shipped("reference.platform", "policies")
USE_CASE_POLICY = POLICY_FOLDER / "income-eligibility.yaml"
"""The reference use case's own fairness policy (docs/training.md, "Fairness policies")."""


class FairnessPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    sensitive_features: tuple[str, ...] = Field(min_length=1)
    demographic_parity_ratio_min: float | None = Field(default=0.8, ge=0.0, le=1.0)
    equalized_odds_difference_max: float | None = Field(default=0.1, ge=0.0, le=1.0)
    min_group_size: int = Field(default=0, ge=0)
    rationale: str = ""


class GroupMetrics(BaseModel):
    group: str
    count: int
    selection_rate: float
    true_positive_rate: float
    false_positive_rate: float
    gated: bool


class AttributeFairness(BaseModel):
    feature: str
    demographic_parity_ratio: float | None
    """None when fewer than two groups reach the policy's minimum size: with one group
    there is nothing to compare, and a ratio of 1 would claim fairness nobody measured."""
    equalized_odds_difference: float | None
    groups: list[GroupMetrics]


class FairnessReport(BaseModel):
    """The measured fairness of one model and the policy verdict, with its reasons."""

    policy: str
    attributes: list[AttributeFairness]
    violations: list[str]

    @property
    def passed(self) -> bool:
        return not self.violations


def load_policy(path: Path) -> FairnessPolicy:
    return load_document(path, FairnessPolicy, InvalidPolicy, "fairness policy")


def default_policy_path() -> Path:
    return POLICY_FOLDER / "whitepaper-fairness.yaml"


def assess_fairness(
    labels: npt.NDArray[np.int64],
    decisions: npt.NDArray[np.int64],
    groups: pd.DataFrame,
    policy: FairnessPolicy,
) -> FairnessReport:
    """Measure every sensitive attribute of the policy and list each broken rule."""
    attributes: list[AttributeFairness] = []
    violations: list[str] = []
    for feature in policy.sensitive_features:
        if feature not in groups.columns:
            raise InvalidPolicy(
                f"policy '{policy.name}' names sensitive feature '{feature}', "
                "which the evaluation data lacks"
            )
        attribute = _measure(labels, decisions, groups[feature].astype(str), policy.min_group_size)
        attributes.append(attribute)
        violations += _violations(attribute, policy)
    return FairnessReport(policy=policy.name, attributes=attributes, violations=violations)


def _measure(
    labels: npt.NDArray[np.int64],
    decisions: npt.NDArray[np.int64],
    group: "pd.Series[str]",
    min_group_size: int,
) -> AttributeFairness:
    frame = MetricFrame(
        metrics={
            "selection_rate": selection_rate,
            "true_positive_rate": true_positive_rate,
            "false_positive_rate": false_positive_rate,
            "count": _count,
        },
        y_true=labels,
        y_pred=decisions,
        sensitive_features=group,
    )
    by_group = frame.by_group
    gated = [str(g) for g in by_group.index if by_group.loc[g, "count"] >= min_group_size]
    keep = group.isin(gated).to_numpy()
    ratio = difference = None
    if len(gated) >= 2:
        kept = (labels[keep], decisions[keep])
        ratio = float(demographic_parity_ratio(*kept, sensitive_features=group[keep]))
        difference = float(equalized_odds_difference(*kept, sensitive_features=group[keep]))
    return AttributeFairness(
        feature=str(group.name),
        demographic_parity_ratio=ratio,
        equalized_odds_difference=difference,
        groups=[
            GroupMetrics(
                group=str(g),
                count=int(row["count"]),
                selection_rate=float(row["selection_rate"]),
                true_positive_rate=float(row["true_positive_rate"]),
                false_positive_rate=float(row["false_positive_rate"]),
                gated=str(g) in gated,
            )
            for g, row in by_group.iterrows()
        ],
    )


def _count(y_true: npt.NDArray[np.int64], y_pred: npt.NDArray[np.int64]) -> int:
    return len(y_true)


def _violations(attribute: AttributeFairness, policy: FairnessPolicy) -> list[str]:
    found: list[str] = []
    if attribute.demographic_parity_ratio is None or attribute.equalized_odds_difference is None:
        return [
            f"fairness by {attribute.feature} cannot be judged: fewer than two groups have "
            f"at least {policy.min_group_size} rows"
        ]
    minimum = policy.demographic_parity_ratio_min
    if minimum is not None and not attribute.demographic_parity_ratio >= minimum:
        found.append(
            f"demographic parity ratio by {attribute.feature} is "
            f"{attribute.demographic_parity_ratio:.3f}, below the policy minimum {minimum:.2f}"
        )
    maximum = policy.equalized_odds_difference_max
    if maximum is not None and not attribute.equalized_odds_difference <= maximum:
        found.append(
            f"equalised odds difference by {attribute.feature} is "
            f"{attribute.equalized_odds_difference:.3f}, above the policy maximum {maximum:.2f}"
        )
    return found
