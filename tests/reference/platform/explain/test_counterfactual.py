"""Counterfactual search: on model doubles with known answers, and on the served model."""

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from readiness.errors import InvalidFeatures, InvalidInput, InvalidPolicy
from readiness.home import Home
from reference.platform.explain.counterfactual import (
    Counterfactual,
    CounterfactualSearch,
    find_counterfactual,
)
from reference.platform.explain.counterfactual_policy import (
    CounterfactualPolicy,
    NominalAction,
    OrdinalAction,
    load_counterfactual_policy,
)
from reference.platform.model.dataset import AdultDataset
from reference.platform.model.evaluation import DECISION_THRESHOLD, Predict
from reference.platform.model.lifecycle import TrainingSummary
from reference.platform.model.runtime import OnnxModel
from reference.platform.model.schema import RecordEncoder, load_schema
from tests.examples import VALID_ROW

Trained = tuple[Home, TrainingSummary]
Row = dict[str, Any]
SCHEMA = load_schema()
POLICY = load_counterfactual_policy()
ENCODER = RecordEncoder(SCHEMA)
NUMERIC = [c.name for c in SCHEMA.numeric_inputs]
CATEGORICAL = [c.name for c in SCHEMA.categorical_inputs]
HOURS, EDUCATION_NUM = NUMERIC.index("hours_per_week"), NUMERIC.index("education_num")
OCCUPATION = CATEGORICAL.index("occupation")
EXEC_MANAGERIAL = SCHEMA.column("occupation").categories.index("Exec-managerial") + 1
HOURS_SCALE = POLICY.numeric["hours_per_week"].scale


def ordinal(name: str) -> OrdinalAction:
    action = POLICY.categorical[name]
    assert isinstance(action, OrdinalAction)
    return action


EDUCATION_SCALE = ordinal("education").scale


def double(
    rule: Callable[[npt.NDArray[np.float32], npt.NDArray[np.int64]], npt.NDArray[np.float64]],
) -> Predict:
    """A model double: probability from a rule over the encoded inputs."""

    def predict(
        numeric: npt.NDArray[np.float32], categorical: npt.NDArray[np.int64]
    ) -> npt.NDArray[np.float32]:
        return np.asarray(rule(numeric, categorical), dtype=np.float32)

    return predict


def approves_from_60_hours() -> Predict:
    return double(lambda n, c: np.where(n[:, HOURS] >= 60, 0.9, 0.1))


def approves_45_hours_with_a_degree() -> Predict:
    return double(
        lambda n, c: np.where((n[:, HOURS] >= 45) & (n[:, EDUCATION_NUM] >= 13), 0.9, 0.1)
    )


def approves_45_hours_a_degree_and_management() -> Predict:
    """Each condition adds 0.15: two of three come close, only all three approve."""
    return double(
        lambda n, c: (
            0.1
            + 0.15 * (n[:, HOURS] >= 45)
            + 0.15 * (n[:, EDUCATION_NUM] >= 13)
            + 0.15 * (c[:, OCCUPATION] == EXEC_MANAGERIAL)
        )
    )


def never_approves() -> Predict:
    return double(lambda n, c: np.full(len(n), 0.1))


def changed(result: Counterfactual) -> dict[str, Any]:
    return {change.feature: change.after for change in result.changes}


def apply(row: Row, result: Counterfactual) -> Row:
    return {**row, **changed(result)}


def probability(predict: Predict, rows: list[Row]) -> npt.NDArray[np.float32]:
    return predict(*ENCODER.encode(rows))


def test_the_cheapest_single_change_is_found_on_a_model_whose_answer_is_known() -> None:
    result = find_counterfactual(approves_from_60_hours(), SCHEMA, POLICY, VALID_ROW)
    assert result.found
    assert changed(result) == {"hours_per_week": 60.0}
    assert result.changes[0].before == 40.0
    assert result.cost == pytest.approx(20 / HOURS_SCALE)
    assert (result.original_decision, result.decision) == (0, 1)
    assert result.probability == pytest.approx(0.9)


def test_the_cheapest_pair_is_found_and_education_moves_with_its_rank() -> None:
    result = find_counterfactual(approves_45_hours_with_a_degree(), SCHEMA, POLICY, VALID_ROW)
    assert changed(result) == {
        "hours_per_week": 45.0,
        "education": "Bachelors",
        "education_num": 13.0,
    }
    (implied,) = [c for c in result.changes if c.implied_by]
    assert (implied.feature, implied.before, implied.implied_by) == (
        "education_num",
        9.0,
        "education",
    )
    assert result.cost == pytest.approx(5 / HOURS_SCALE + 4 / EDUCATION_SCALE)


def test_three_changes_are_found_when_each_pair_comes_closer() -> None:
    result = find_counterfactual(
        approves_45_hours_a_degree_and_management(), SCHEMA, POLICY, VALID_ROW
    )
    assert changed(result) == {
        "hours_per_week": 45.0,
        "education": "Bachelors",
        "education_num": 13.0,
        "occupation": "Exec-managerial",
    }
    assert result.cost == pytest.approx(5 / HOURS_SCALE + 4 / EDUCATION_SCALE + 1.0)


def test_a_decision_that_needs_more_changes_than_allowed_is_reported_not_found() -> None:
    predict = approves_45_hours_a_degree_and_management()
    result = find_counterfactual(predict, SCHEMA, POLICY, VALID_ROW, max_changes=2)
    assert not result.found
    assert (result.probability, result.decision, result.cost, result.changes) == (
        None,
        None,
        None,
        [],
    )
    assert result.reason == (
        "no change of at most 2 actionable feature(s) allowed by policy "
        f"'income-eligibility-recourse' flips the decision within {result.evaluations} "
        "evaluations"
    )


def test_a_search_that_spends_its_budget_says_so_and_stays_within_it() -> None:
    predict = approves_45_hours_a_degree_and_management()
    singles = find_counterfactual(never_approves(), SCHEMA, POLICY, VALID_ROW, max_changes=1)
    result = find_counterfactual(
        predict, SCHEMA, POLICY, VALID_ROW, max_evaluations=singles.evaluations + 100
    )
    assert not result.found
    assert result.evaluations == singles.evaluations + 100
    assert "within" in result.reason


def test_a_model_that_no_allowed_change_moves_gets_no_counterfactual() -> None:
    result = find_counterfactual(never_approves(), SCHEMA, POLICY, VALID_ROW)
    assert not result.found
    assert result.original_probability == pytest.approx(0.1)
    assert result.evaluations > 1


def test_an_approved_row_gets_the_change_that_would_deny_it() -> None:
    row = {**VALID_ROW, "hours_per_week": 70}
    result = find_counterfactual(approves_from_60_hours(), SCHEMA, POLICY, row)
    assert (result.original_decision, result.decision) == (1, 0)
    assert changed(result) == {"hours_per_week": 59.0}


def test_the_threshold_decides_what_counts_as_a_flip() -> None:
    result = find_counterfactual(
        approves_45_hours_a_degree_and_management(), SCHEMA, POLICY, VALID_ROW, threshold=0.25
    )
    assert result.threshold == 0.25
    assert changed(result) == {"hours_per_week": 45.0}
    assert result.probability == pytest.approx(0.25)


def test_a_search_refuses_a_policy_built_in_code_that_makes_sex_actionable() -> None:
    document = POLICY.model_dump()
    document["categorical"]["sex"] = NominalAction(kind="nominal", cost=1.0).model_dump()
    document["immutable"] = [name for name in POLICY.immutable if name != "sex"]
    policy = CounterfactualPolicy.model_validate(document)
    with pytest.raises(InvalidPolicy, match=r"'sex' is sensitive and can never be actionable$"):
        CounterfactualSearch(never_approves(), SCHEMA, policy)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        pytest.param(
            {k: v for k, v in VALID_ROW.items() if k != "age"},
            "'age' must be a number, got None",
            id="a-missing-number",
        ),
        pytest.param(
            {**VALID_ROW, "age": 200}, "'age' is 200, outside [16, 100]", id="out-of-range"
        ),
        pytest.param(
            {**VALID_ROW, "education": "Hogwarts"},
            "'education' has no category 'Hogwarts'",
            id="an-unknown-category",
        ),
        pytest.param(
            {**VALID_ROW, "education": None},
            "'education' has no category None",
            id="a-missing-category-that-is-not-nullable",
        ),
    ],
)
def test_a_row_that_breaks_the_schema_is_refused_naming_the_field(row: Row, message: str) -> None:
    with pytest.raises(InvalidFeatures) as raised:
        find_counterfactual(never_approves(), SCHEMA, POLICY, row)
    assert str(raised.value) == message


def test_fewer_than_one_change_is_refused() -> None:
    with pytest.raises(InvalidInput, match=r"^max_changes must be at least 1, got 0$"):
        CounterfactualSearch(never_approves(), SCHEMA, POLICY, max_changes=0)


def test_more_changes_than_actionable_features_means_all_of_them() -> None:
    result = find_counterfactual(never_approves(), SCHEMA, POLICY, VALID_ROW, max_changes=9)
    assert result.max_changes == len(POLICY.actionable) == 4


def test_a_policy_whose_only_lever_cannot_move_finds_nothing_without_failing() -> None:
    """Education already at the top of its order, moving only up: no single change exists."""
    document = POLICY.model_dump()
    document["numeric"] = {}
    document["categorical"] = {"education": document["categorical"]["education"]}
    document["immutable"] = [*POLICY.immutable, "hours_per_week", "workclass", "occupation"]
    policy = CounterfactualPolicy.model_validate(document)
    row = {**VALID_ROW, "education": "Doctorate", "education_num": 16}
    result = find_counterfactual(never_approves(), SCHEMA, policy, row)
    assert (result.found, result.evaluations, result.max_changes) == (False, 1, 1)


# On the served model (the session's quick training run).


@pytest.fixture(scope="module")
def served(trained: Trained) -> OnnxModel:
    home, _ = trained
    (path,) = home.models.glob("train-*/student_int8.onnx")
    return OnnxModel(path, threads=1)


@pytest.fixture(scope="module")
def searched(served: OnnxModel, adult: AdultDataset) -> list[tuple[Row, Counterfactual]]:
    """30 denied and 15 approved test rows (as the served model decides) with their search."""
    numeric, categorical = adult.schema.encode(adult.test)
    approved = served.predict(numeric, categorical) >= DECISION_THRESHOLD
    generator = np.random.default_rng(5)
    chosen = [
        *generator.choice(np.flatnonzero(~approved), size=30, replace=False),
        *generator.choice(np.flatnonzero(approved), size=15, replace=False),
    ]
    search = CounterfactualSearch(served.predict, adult.schema, POLICY)
    rows = [{str(k): v for k, v in adult.test.iloc[int(i)].to_dict().items()} for i in chosen]
    return [(row, search.find(row)) for row in rows]


def found(searched: list[tuple[Row, Counterfactual]]) -> Iterator[tuple[Row, Counterfactual]]:
    return ((row, result) for row, result in searched if result.found)


def test_every_counterfactual_found_flips_the_served_models_decision(
    served: OnnxModel, searched: list[tuple[Row, Counterfactual]]
) -> None:
    results = list(found(searched))
    assert {result.original_decision for _, result in results} == {0, 1}  # both directions
    for row, result in results:
        before, after = probability(served.predict, [row, apply(row, result)])
        assert result.original_probability == pytest.approx(float(before), abs=1e-6)
        assert result.probability == pytest.approx(float(after), abs=1e-6)
        assert int(after >= DECISION_THRESHOLD) == result.decision != result.original_decision


def test_counterfactuals_change_only_actionable_features_never_sensitive_or_immutable(
    searched: list[tuple[Row, Counterfactual]],
) -> None:
    results = list(found(searched))
    assert results
    for row, result in results:
        for change in result.changes:
            assert change.feature in POLICY.actionable or (
                POLICY.implied.get(change.feature) == change.implied_by
            )
            assert change.feature not in {*POLICY.immutable, *SCHEMA.sensitive}
            assert change.before == row[change.feature] != change.after
        assert len({c.implied_by or c.feature for c in result.changes}) <= 3


def test_no_single_change_on_the_grid_flips_the_decision_more_cheaply(
    served: OnnxModel, searched: list[tuple[Row, Counterfactual]]
) -> None:
    """Brute force over the policy's grid, built here independently of the search."""
    singles_returned = 0
    for row, result in searched:
        changes, costs = single_changes(row)
        probabilities = probability(served.predict, [{**row, **c} for c in changes])
        flips = (probabilities >= DECISION_THRESHOLD) != bool(result.original_decision)
        cheapest_flip = min(np.asarray(costs)[flips], default=np.inf)
        if not result.found:
            assert cheapest_flip == np.inf
            continue
        assert result.cost is not None
        assert result.cost <= cheapest_flip + 1e-9
        if len({c.implied_by or c.feature for c in result.changes}) == 1:
            singles_returned += 1
            assert result.cost == pytest.approx(cheapest_flip)
    assert singles_returned > 0


def test_the_same_row_gets_the_same_counterfactual_every_time(
    served: OnnxModel, searched: list[tuple[Row, Counterfactual]]
) -> None:
    search = CounterfactualSearch(served.predict, SCHEMA, POLICY)
    for row, result in searched[:5]:
        assert search.find(row) == result


def single_changes(row: Row) -> tuple[list[Row], list[float]]:
    """Every single change the shipped policy allows `row`, and its cost."""
    changes: list[Row] = []
    costs: list[float] = []
    for name, action in POLICY.numeric.items():
        grid = np.arange(action.min, action.max + action.step / 2, action.step)
        allowed = action.direction.allows(row[name], grid)
        for value in grid[allowed]:
            changes.append({name: float(value)})
            costs.append(abs(float(value) - row[name]) / action.scale)
    for name, category in POLICY.categorical.items():
        if isinstance(category, NominalAction):
            targets = category.targets or SCHEMA.column(name).categories
            for target in [t for t in targets if t != row[name]]:
                changes.append({name: target})
                costs.append(category.cost)
            continue
        rank = category.order.index(row[name]) + 1
        for to_rank, target in enumerate(category.order, start=1):
            if to_rank > rank:  # the shipped policy moves education only up
                changes.append({name: target, "education_num": float(to_rank)})
                costs.append((to_rank - rank) / category.scale)
    return changes, costs
