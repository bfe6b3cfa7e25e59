"""The offline gate, as named checks on two evaluations (no model needed)."""

import pytest

from reference.platform.model.fairness import FairnessReport
from reference.platform.retraining.offline import VersionEvaluation, offline_checks
from reference.platform.retraining.policy import load_retraining_policy

GATE = load_retraining_policy().offline
FAIR = FairnessReport(policy="p", attributes=[], violations=[])
UNFAIR = FairnessReport(policy="p", attributes=[], violations=["equalised odds by race 0.2"])


def evaluation(version: str, accuracy: float, auc: float, fair: bool = True) -> VersionEvaluation:
    return VersionEvaluation(version=version, semver=f"1.{version}.0", accuracy=accuracy,
                             auc=auc, fairness=FAIR if fair else UNFAIR)  # fmt: skip


CHAMPION = evaluation("1", 0.845, 0.900)


@pytest.mark.parametrize(
    ("case", "challenger", "failed"),
    [
        ("better on both passes", evaluation("2", 0.850, 0.905), []),
        ("equal passes", evaluation("2", 0.845, 0.900), []),
        ("slightly worse, inside the margins, passes", evaluation("2", 0.841, 0.8985), []),
        ("AUC worse than its margin fails", evaluation("2", 0.845, 0.897), ["auc-vs-champion"]),
        ("accuracy worse than its margin fails", evaluation("2", 0.839, 0.900),
         ["accuracy-vs-champion"]),
        ("unfair fails however good", evaluation("2", 0.860, 0.920, fair=False), ["fairness"]),
        ("trivial fails every floor", evaluation("2", 0.76, 0.5),
         ["auc-floor", "accuracy-floor", "auc-vs-champion", "accuracy-vs-champion"]),
    ],
)  # fmt: skip
def test_the_offline_gate(case: str, challenger: VersionEvaluation, failed: list[str]) -> None:
    checks = offline_checks(CHAMPION, challenger, GATE)
    assert [c.name for c in checks if not c.passed] == failed, case


def test_without_a_champion_only_the_floors_and_fairness_are_checked() -> None:
    checks = offline_checks(None, evaluation("1", 0.84, 0.89), GATE)
    assert [(c.name, c.passed) for c in checks] == [
        ("auc-floor", True), ("accuracy-floor", True), ("fairness", True),
    ]  # fmt: skip


def test_a_failed_check_names_both_numbers_and_the_margin() -> None:
    (auc,) = [c for c in offline_checks(CHAMPION, evaluation("2", 0.845, 0.897), GATE)
              if c.name == "auc-vs-champion"]  # fmt: skip
    assert auc.detail == ("challenger AUC 0.8970 is below 0.8980 (champion 1's 0.9000 less 0.002)")


def test_an_unfair_challenger_is_refused_with_its_violations() -> None:
    (fairness,) = [c for c in offline_checks(CHAMPION, evaluation("2", 0.85, 0.9, False), GATE)
                   if c.name == "fairness"]  # fmt: skip
    assert fairness.detail == ("challenger fails fairness policy 'p': equalised odds by race 0.2")
