"""The recourse policy: the shipped file holds; each forbidden classification is refused by name."""

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml

from readiness.errors import InvalidPolicy
from reference.platform.explain.counterfactual_policy import (
    POLICY_PATH,
    CounterfactualPolicy,
    Direction,
    NumericAction,
    OrdinalAction,
    load_counterfactual_policy,
)
from reference.platform.model.dataset import AdultDataset
from reference.platform.model.schema import load_schema

SCHEMA = load_schema()
SHIPPED: dict[str, Any] = {
    "name": "test",
    "numeric": {
        "hours_per_week": {"direction": "both", "min": 1, "max": 80, "step": 1, "scale": 12.0}
    },
    "categorical": {
        "education": {
            "kind": "ordinal",
            "order": ["Preschool", "1st-4th", "5th-6th", "7th-8th", "9th", "10th", "11th",
                      "12th", "HS-grad", "Some-college", "Assoc-voc", "Assoc-acdm",
                      "Bachelors", "Masters", "Prof-school", "Doctorate"],
            "numeric_column": "education_num",
            "scale": 2.5,
        },
        "workclass": {"kind": "nominal", "cost": 1.0},
        "occupation": {"kind": "nominal", "cost": 1.0},
    },
    "immutable": ["age", "fnlwgt", "marital_status", "relationship", "capital_gain",
                  "capital_loss", "native_country", "race", "sex"],
}  # fmt: skip


def policy_with(**changes: Any) -> CounterfactualPolicy:
    """The shipped shape with some sections replaced or extended."""
    document = {**SHIPPED, **changes}
    return CounterfactualPolicy.model_validate(document)


def immutable_without(*names: str) -> list[str]:
    return [name for name in SHIPPED["immutable"] if name not in names]


def refusal(policy: CounterfactualPolicy) -> str:
    with pytest.raises(InvalidPolicy) as raised:
        policy.check_against(SCHEMA)
    return str(raised.value)


def test_the_shipped_policy_loads_and_classifies_every_model_input() -> None:
    policy = load_counterfactual_policy()
    classified = {*policy.actionable, *policy.implied, *policy.immutable}
    assert {c.name for c in SCHEMA.model_inputs} <= classified
    assert policy.actionable == ("hours_per_week", "education", "workclass", "occupation")
    assert policy.implied == {"education_num": "education"}
    assert policy.rationale


def test_no_sensitive_column_is_actionable_in_the_shipped_policy() -> None:
    policy = load_counterfactual_policy()
    assert set(SCHEMA.sensitive) == {"sex", "race"}
    assert set(SCHEMA.sensitive).isdisjoint({*policy.actionable, *policy.implied})
    assert set(SCHEMA.sensitive) <= set(policy.immutable)


def test_the_shipped_scales_are_the_training_standard_deviations(adult: AdultDataset) -> None:
    policy = load_counterfactual_policy()
    hours = adult.train["hours_per_week"].std()
    assert policy.numeric["hours_per_week"].scale == pytest.approx(hours, abs=1e-3)
    education = policy.categorical["education"]
    assert isinstance(education, OrdinalAction)
    assert education.scale == pytest.approx(adult.train["education_num"].std(), abs=1e-3)


def test_the_education_order_is_the_rank_that_education_num_holds(adult: AdultDataset) -> None:
    education = load_counterfactual_policy().categorical["education"]
    assert isinstance(education, OrdinalAction)
    ranks = adult.train["education"].map({c: i + 1 for i, c in enumerate(education.order)})
    assert (ranks == adult.train["education_num"]).all()


def test_a_policy_making_sex_actionable_is_refused_naming_sex() -> None:
    policy = policy_with(**categorical(sex=NOMINAL), immutable=immutable_without("sex"))
    assert refusal(policy) == (
        "counterfactual policy 'test': 'sex' is sensitive and can never be actionable"
    )


def test_the_loader_refuses_a_file_that_makes_race_actionable(tmp_path: Path) -> None:
    document = yaml.safe_load(POLICY_PATH.read_text())
    document["categorical"]["race"] = {"kind": "nominal", "cost": 1.0}
    document["immutable"].remove("race")
    path = tmp_path / "recourse.yaml"
    path.write_text(yaml.safe_dump(document))
    with pytest.raises(InvalidPolicy, match=r"'race' is sensitive and can never be actionable$"):
        load_counterfactual_policy(path)


def numeric(**actions: Any) -> dict[str, Any]:
    return {"numeric": {**SHIPPED["numeric"], **actions}}


def categorical(*without: str, **actions: Any) -> dict[str, Any]:
    kept = {k: v for k, v in SHIPPED["categorical"].items() if k not in without}
    return {"categorical": {**kept, **actions}}


NOMINAL = {"kind": "nominal", "cost": 1.0}
EDUCATION = SHIPPED["categorical"]["education"]
STEPS = {"min": 1, "max": 2, "step": 1, "scale": 1}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        pytest.param(
            {**numeric(age={**STEPS, "min": 16, "max": 90}), "immutable": immutable_without("age")},
            None,
            id="an-immutable-input-may-become-actionable-when-the-policy-says-so",
        ),
        pytest.param(
            categorical(applicant_id=NOMINAL),
            "'applicant_id' is not a model input, so changing it changes no decision",
            id="the-entity-key-is-not-a-model-input",
        ),
        pytest.param(
            {"immutable": [*SHIPPED["immutable"], "religion"]},
            "'religion' is not a column of schema 'adult-applicant'",
            id="an-unknown-column",
        ),
        pytest.param(
            {"immutable": immutable_without("fnlwgt")},
            "model input 'fnlwgt' is neither actionable nor immutable",
            id="a-model-input-left-unclassified",
        ),
        pytest.param(
            {"immutable": [*SHIPPED["immutable"], "hours_per_week"]},
            "'hours_per_week' is classified more than once",
            id="actionable-and-immutable-at-once",
        ),
        pytest.param(
            numeric(hours_per_week={**STEPS, "min": 0}),
            "'hours_per_week' bounds [0, 2] leave the schema's range [1, 100]",
            id="numeric-bounds-outside-the-schema",
        ),
        pytest.param(
            categorical(workclass={**NOMINAL, "targets": ["Pirate"]}),
            "'workclass' has no categories ['Pirate']",
            id="an-unknown-target-category",
        ),
        pytest.param(
            categorical(education={**EDUCATION, "order": ["HS-grad", "Bachelors"]}),
            "'education' order must list each of its categories exactly once",
            id="an-incomplete-order",
        ),
        pytest.param(
            {**numeric(workclass=STEPS), **categorical("workclass")},
            "'workclass' is categorical, not numeric",
            id="a-numeric-action-on-a-category",
        ),
    ],
)
def test_each_forbidden_classification_is_refused_with_its_column(
    changes: dict[str, Any], message: str | None
) -> None:
    policy = policy_with(**changes)
    if message is None:
        policy.check_against(SCHEMA)
        return
    assert refusal(policy) == f"counterfactual policy 'test': {message}"


def test_every_problem_is_named_in_one_refusal() -> None:
    policy = policy_with(**categorical(sex=NOMINAL), immutable=immutable_without("sex", "fnlwgt"))
    assert refusal(policy) == (
        "counterfactual policy 'test': 'sex' is sensitive and can never be actionable; "
        "model input 'fnlwgt' is neither actionable nor immutable"
    )


def test_a_malformed_policy_file_names_the_field(tmp_path: Path) -> None:
    path = tmp_path / "recourse.yaml"
    path.write_text(POLICY_PATH.read_text().replace("step: 1", "step: 0"))
    with pytest.raises(
        InvalidPolicy, match=r"numeric\.hours_per_week\.step: Input should be greater"
    ):
        load_counterfactual_policy(path)


def test_a_grid_too_fine_to_search_quickly_is_refused() -> None:
    with pytest.raises(ValueError, match="the grid would hold more than 1000 values"):
        NumericAction(min=0, max=100000, step=1, scale=1)


def test_the_grid_runs_from_min_to_max_by_step_as_the_model_reads_it() -> None:
    grid = NumericAction(min=1, max=80, step=0.5, scale=1).grid()
    assert grid.dtype == np.float32
    assert (grid[0], grid[-1], len(grid)) == (1.0, 80.0, 159)


@pytest.mark.parametrize(
    ("direction", "reachable"),
    [
        pytest.param(Direction.UP, [50.0, 60.0], id="up-only-above"),
        pytest.param(Direction.DOWN, [30.0], id="down-only-below"),
        pytest.param(Direction.BOTH, [30.0, 50.0, 60.0], id="both-never-the-value-itself"),
    ],
)
def test_a_direction_allows_only_moves_its_way(
    direction: Direction, reachable: list[float]
) -> None:
    values = np.array([30.0, 40.0, 50.0, 60.0])
    assert values[direction.allows(40.0, values)].tolist() == reachable
