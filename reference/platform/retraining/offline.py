"""Champion and challenger on the same held-out rows: quality, fairness, agreement.

Both are scored from their registered files (hash-checked), on the Adult test split that
neither was trained on, under the fairness policy of this retraining. The gate itself is a
list of named checks, each a comparison with a threshold of the policy, so a refusal says
exactly which comparison failed and by how much.
"""

from pathlib import Path

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel

from reference.platform.model.dataset import AdultDataset
from reference.platform.model.evaluation import DECISION_THRESHOLD, measure_quality
from reference.platform.model.fairness import FairnessPolicy, FairnessReport, assess_fairness
from reference.platform.model.registry import RegisteredVersion
from reference.platform.model.runtime import OnnxModel
from reference.platform.retraining.policy import OfflineGate


class Check(BaseModel):
    """One named comparison of the gate and its verdict, in words."""

    name: str
    passed: bool
    detail: str


class VersionEvaluation(BaseModel):
    version: str
    semver: str
    accuracy: float
    auc: float
    fairness: FairnessReport


class OfflineComparison(BaseModel):
    rows: int
    champion: VersionEvaluation | None
    challenger: VersionEvaluation
    decision_agreement: float | None
    """Share of the rows on which both decide alike (None without a champion)."""
    checks: list[Check]

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks)


def evaluate_version(
    version: RegisteredVersion, served_file: Path, data: AdultDataset, policy: FairnessPolicy
) -> tuple[VersionEvaluation, npt.NDArray[np.float32]]:
    """Quality and fairness of one served file on the test rows, with its probabilities."""
    numeric, categorical = data.schema.encode(data.test)
    labels = data.test[data.schema.label.name].to_numpy()
    model = OnnxModel(served_file, threads=1)
    quality, probability = measure_quality(model.predict, numeric, categorical, labels)
    decisions = (probability >= DECISION_THRESHOLD).astype(np.int64)
    evaluation = VersionEvaluation(
        version=version.version, semver=version.semver, accuracy=quality.accuracy,
        auc=quality.auc, fairness=assess_fairness(labels, decisions, data.test, policy),
    )  # fmt: skip
    return evaluation, probability


def compare(
    champion: tuple[VersionEvaluation, npt.NDArray[np.float32]] | None,
    challenger: tuple[VersionEvaluation, npt.NDArray[np.float32]],
    gate: OfflineGate,
) -> OfflineComparison:
    new, new_probability = challenger
    agreement = None
    if champion is not None:
        old_decisions = champion[1] >= DECISION_THRESHOLD
        agreement = float(np.mean(old_decisions == (new_probability >= DECISION_THRESHOLD)))
    return OfflineComparison(
        rows=len(new_probability),
        champion=champion[0] if champion else None,
        challenger=new,
        decision_agreement=agreement,
        checks=offline_checks(champion[0] if champion else None, new, gate),
    )


def offline_checks(
    champion: VersionEvaluation | None, challenger: VersionEvaluation, gate: OfflineGate
) -> list[Check]:
    """The offline gate as named checks; a pure function of the two evaluations."""
    checks = [
        _at_least("auc-floor", "AUC", challenger.auc, gate.min_auc, "the policy's floor"),
        _at_least(
            "accuracy-floor", "accuracy", challenger.accuracy, gate.min_accuracy,
            "the policy's floor",
        ),
    ]  # fmt: skip
    if champion is not None:
        checks += [
            _at_least(
                "auc-vs-champion", "AUC", challenger.auc, champion.auc - gate.max_auc_drop,
                f"champion {champion.version}'s {champion.auc:.4f} less {gate.max_auc_drop:g}",
            ),
            _at_least(
                "accuracy-vs-champion", "accuracy", challenger.accuracy,
                champion.accuracy - gate.max_accuracy_drop,
                f"champion {champion.version}'s {champion.accuracy:.4f} less "
                f"{gate.max_accuracy_drop:g}",
            ),
        ]  # fmt: skip
    fairness = challenger.fairness
    checks.append(
        Check(
            name="fairness",
            passed=fairness.passed,
            detail=(
                f"challenger passes fairness policy '{fairness.policy}'"
                if fairness.passed
                else f"challenger fails fairness policy '{fairness.policy}': "
                + "; ".join(fairness.violations)
            ),
        )
    )
    return checks


def _at_least(name: str, what: str, value: float, bound: float, bound_is: str) -> Check:
    passed = value >= bound
    relation = "at least" if passed else "below"
    return Check(
        name=name,
        passed=passed,
        detail=f"challenger {what} {value:.4f} is {relation} {bound:.4f} ({bound_is})",
    )
