from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from readiness.errors import InvalidPolicy
from reference.platform.model.fairness import (
    POLICY_FOLDER,
    FairnessPolicy,
    assess_fairness,
    default_policy_path,
    load_policy,
)

# Group a: 100 rows, half positive, all selected. Group b: 100 rows, half positive, a
# quarter selected (all from the positives). Group c: 10 rows, nobody selected.
LABELS = np.array([1] * 50 + [0] * 50 + [1] * 50 + [0] * 50 + [1] * 5 + [0] * 5)
DECISIONS = np.array([1] * 100 + [1] * 25 + [0] * 75 + [0] * 10)
GROUPS = pd.DataFrame({"sex": ["a"] * 100 + ["b"] * 100 + ["c"] * 10})
FAIRNESS_POLICIES = ("whitepaper-fairness.yaml", "income-eligibility.yaml")


def policy(**rules: object) -> FairnessPolicy:
    return FairnessPolicy.model_validate({"name": "test", "sensitive_features": ["sex"], **rules})


def test_a_fair_enough_model_passes() -> None:
    report = assess_fairness(LABELS, LABELS, GROUPS, policy(demographic_parity_ratio_min=0.8))
    assert report.passed
    assert report.attributes[0].equalized_odds_difference == 0.0


def test_the_four_fifths_rule_names_the_attribute_and_the_ratio() -> None:
    report = assess_fairness(LABELS, DECISIONS, GROUPS, policy(min_group_size=50))
    assert (
        "demographic parity ratio by sex is 0.250, below the policy minimum 0.80"
        in report.violations
    )
    assert (
        "equalised odds difference by sex is 1.000, above the policy maximum 0.10"
        in report.violations
    )


def test_small_groups_are_reported_but_not_gated() -> None:
    gated_all = assess_fairness(LABELS, DECISIONS, GROUPS, policy())
    assert gated_all.attributes[0].demographic_parity_ratio == 0.0
    gated_large = assess_fairness(LABELS, DECISIONS, GROUPS, policy(min_group_size=50))
    groups = {g.group: g for g in gated_large.attributes[0].groups}
    assert not groups["c"].gated
    assert groups["c"].count == 10
    assert gated_large.attributes[0].demographic_parity_ratio == pytest.approx(0.25)


def test_a_rule_set_to_null_is_not_gated() -> None:
    report = assess_fairness(
        LABELS,
        DECISIONS,
        GROUPS,
        policy(demographic_parity_ratio_min=None, equalized_odds_difference_max=None),
    )
    assert report.passed


def test_a_policy_naming_an_absent_attribute_is_refused() -> None:
    with pytest.raises(InvalidPolicy, match="'religion', which the evaluation data lacks"):
        assess_fairness(LABELS, DECISIONS, GROUPS, policy(sensitive_features=["religion"]))


def test_the_shipped_policies_load() -> None:
    assert load_policy(default_policy_path()).demographic_parity_ratio_min == 0.8
    for name in FAIRNESS_POLICIES:  # the folder also holds other policies (counterfactual)
        assert load_policy(POLICY_FOLDER / name).rationale


def test_a_malformed_policy_names_the_field(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("name: x\nsensitive_features: [sex]\nequalized_odds_difference_max: 3\n")
    with pytest.raises(InvalidPolicy, match="equalized_odds_difference_max: Input should be less"):
        load_policy(path)


def test_a_missing_policy_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(InvalidPolicy, match=r"cannot read fairness policy .*nope\.yaml"):
        load_policy(tmp_path / "nope.yaml")


def test_an_attribute_with_one_group_large_enough_cannot_be_judged_and_does_not_pass() -> None:
    report = assess_fairness(LABELS, DECISIONS, GROUPS, policy(min_group_size=101))
    assert report.attributes[0].demographic_parity_ratio is None
    assert report.attributes[0].equalized_odds_difference is None
    assert report.violations == [
        "fairness by sex cannot be judged: fewer than two groups have at least 101 rows"
    ]
