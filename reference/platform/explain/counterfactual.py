"""Counterfactual explanations: the cheapest change of actionable features that flips a decision.

Where `attributions` says why a row got its score, a counterfactual says what would have
changed the decision: "approved with 46 hours a week instead of 40", or, for an approved
row, what would have denied it. Only what the recourse policy
(`counterfactual_policy.py`) makes actionable is ever changed, so sensitive and immutable
columns never move; the cost of a counterfactual is the policy's normalised distance
(numeric |change| / scale, ordinal steps / scale, a fixed cost per category change).

Search, cheapest first, one model call per batch of candidates:

1. Every single change (each actionable feature to each value its policy allows: a numeric
   grid between bounds in the allowed direction, the allowed categories) in one call. The
   cheapest that flips is optimal among single changes, exactly.
2. Pairs of changes to two different features, built from every single change that did
   not flip, cheaper than the best flip so far, evaluated in increasing cost in batches; the
   first batch holding a flip ends the level, since every later pair costs more. Exact
   among pairs (on the grid) when the evaluation budget is not spent first.
3. Triples (up to `max_changes`), built from a beam: the `beam` pairs that moved the
   probability furthest toward the threshold, each extended by a change of another feature,
   again cheaper than the best flip so far and in cost order. A heuristic: a triple of three
   changes that each do little alone can be missed.

A change of an ordinal category with a numeric twin (education and education_num) is one
change that sets both. The budget (`max_evaluations`, rows the model scores, the row itself
included) caps the pairs and triples; the single changes are always scored (115 at most
with the shipped policy), since without them nothing is known.

Its latency and how often it finds a flip are measured by
`benchmarks/counterfactual_latency.py`; `docs/platform.md` gives the figures.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel

from readiness.errors import InvalidFeatures, InvalidInput
from reference.platform.explain.counterfactual_policy import (
    CounterfactualPolicy,
    NominalAction,
    NumericAction,
    OrdinalAction,
)
from reference.platform.model.evaluation import DECISION_THRESHOLD, Predict
from reference.platform.model.schema import UNKNOWN_CATEGORY_INDEX, FeatureSchema

MAX_CHANGES = 3
MAX_EVALUATIONS = 4096
"""Rows the model may score per search: about 5 ms of the quick student on one thread."""
BEAM = 64
"""Partial counterfactuals carried from one level to the next past the pairs."""
BATCH = 512
"""Rows per model call past the single changes: small enough to stop soon after a flip."""
NO_COLUMN = -1

Value = float | str | None


class Change(BaseModel):
    """One model input's value before and after; `implied_by` names the change that set it."""

    feature: str
    before: Value
    after: Value
    implied_by: str | None = None


class Counterfactual(BaseModel):
    """The cheapest decision flip found, or why none was."""

    found: bool
    threshold: float
    original_probability: float
    original_decision: int
    probability: float | None
    """The model's output with the changes applied; None when none was found."""
    decision: int | None
    changes: list[Change]
    cost: float | None
    """Sum of the policy's normalised costs of the changes; None when none was found."""
    evaluations: int
    """Rows the model scored, the original row included."""
    max_changes: int
    reason: str = ""


@dataclass(frozen=True)
class _SingleChanges:
    """Every single change the policy allows one row, one entry each.

    A change sets a numeric column, a categorical column, or both (an ordinal category and
    its rank column); `NO_COLUMN` marks the side it leaves alone.
    """

    feature: npt.NDArray[np.int64]
    numeric_column: npt.NDArray[np.int64]
    numeric_value: npt.NDArray[np.float32]
    categorical_column: npt.NDArray[np.int64]
    categorical_value: npt.NDArray[np.int64]
    cost: npt.NDArray[np.float64]

    @classmethod
    def of_feature(
        cls,
        feature: int,
        cost: npt.NDArray[np.float64],
        numeric: tuple[int, npt.NDArray[np.float32]] | None = None,
        categorical: tuple[int, npt.NDArray[np.int64]] | None = None,
    ) -> "_SingleChanges":
        count = len(cost)
        numeric_column, numeric_value = numeric or (NO_COLUMN, np.zeros(count, np.float32))
        categorical_column, categorical_value = categorical or (
            NO_COLUMN,
            np.zeros(count, np.int64),
        )
        return cls(
            feature=np.full(count, feature, np.int64),
            numeric_column=np.full(count, numeric_column, np.int64),
            numeric_value=numeric_value.astype(np.float32),
            categorical_column=np.full(count, categorical_column, np.int64),
            categorical_value=categorical_value.astype(np.int64),
            cost=cost.astype(np.float64),
        )

    @classmethod
    def concatenate(cls, parts: "Sequence[_SingleChanges]") -> "_SingleChanges":
        return cls(
            feature=np.concatenate([p.feature for p in parts]),
            numeric_column=np.concatenate([p.numeric_column for p in parts]),
            numeric_value=np.concatenate([p.numeric_value for p in parts]),
            categorical_column=np.concatenate([p.categorical_column for p in parts]),
            categorical_value=np.concatenate([p.categorical_value for p in parts]),
            cost=np.concatenate([p.cost for p in parts]),
        )

    def __len__(self) -> int:
        return len(self.cost)


class CounterfactualSearch:
    """Build once per model and policy (it checks the policy against the schema); `find` per row."""

    def __init__(
        self,
        predict: Predict,
        schema: FeatureSchema,
        policy: CounterfactualPolicy,
        *,
        threshold: float = DECISION_THRESHOLD,
        max_changes: int = MAX_CHANGES,
        max_evaluations: int = MAX_EVALUATIONS,
        beam: int = BEAM,
    ) -> None:
        policy.check_against(schema)  # a policy built in code is held to the loader's rules
        if max_changes < 1:
            raise InvalidInput(f"max_changes must be at least 1, got {max_changes}")
        if max_evaluations < 1 or beam < 1:
            raise InvalidInput(
                f"max_evaluations and beam must be positive, got {max_evaluations} and {beam}"
            )
        self.policy = policy
        self.threshold = threshold
        self.max_changes = min(max_changes, len(policy.actionable))  # more cannot change
        self.max_evaluations = max_evaluations
        self.beam = beam
        self._predict = predict
        self._schema = schema
        self._numeric = [c.name for c in schema.numeric_inputs]
        self._categorical = [c.name for c in schema.categorical_inputs]
        self._grids = {name: action.grid() for name, action in policy.numeric.items()}
        # schema order, so that results and tie-breaks never depend on the policy file's order
        inputs = [c.name for c in schema.model_inputs]
        self._actionable = sorted(policy.actionable, key=inputs.index)

    def find(self, row: Mapping[str, Any]) -> Counterfactual:
        """The cheapest flip of `row`'s decision found within the budget (module docstring).

        `row` holds every model input (other keys, such as sensitive columns, are ignored);
        a missing or invalid model input raises `InvalidFeatures` naming it.
        """
        numeric, categorical = self._encode(row)
        original = float(self._predict(numeric[None, :], categorical[None, :])[0])
        singles = self._single_changes(numeric, categorical)
        search = _BestFirst(self, numeric, categorical, singles, denied=original < self.threshold)
        search.run()
        result = Counterfactual(
            found=search.best is not None,
            threshold=self.threshold,
            original_probability=original,
            original_decision=int(original >= self.threshold),
            probability=None,
            decision=None,
            changes=[],
            cost=None,
            evaluations=search.evaluations,
            max_changes=self.max_changes,
        )
        if search.best is None:
            result.reason = (
                f"no change of at most {self.max_changes} actionable feature(s) allowed by "
                f"policy '{self.policy.name}' flips the decision within "
                f"{result.evaluations} evaluations"
            )
            return result
        chosen, probability = search.best
        result.probability = probability
        result.decision = int(probability >= self.threshold)
        result.cost = float(singles.cost[list(chosen)].sum())
        result.changes = self._changes(row, singles, chosen)
        return result

    def _encode(
        self, row: Mapping[str, Any]
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
        """The row as the model reads it; every model input present and within the schema."""
        numeric = np.empty(len(self._numeric), np.float32)
        for j, column in enumerate(self._schema.numeric_inputs):
            value = row.get(column.name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InvalidFeatures(f"'{column.name}' must be a number, got {value!r}")
            low = -np.inf if column.min is None else column.min
            high = np.inf if column.max is None else column.max
            if not low <= value <= high:
                raise InvalidFeatures(f"'{column.name}' is {value!r}, outside [{low:g}, {high:g}]")
            numeric[j] = value
        categorical = np.empty(len(self._categorical), np.int64)
        for j, column in enumerate(self._schema.categorical_inputs):
            value = row.get(column.name)
            if value is None and column.nullable:
                categorical[j] = UNKNOWN_CATEGORY_INDEX
            elif value in column.categories:
                categorical[j] = column.categories.index(value) + 1
            else:
                raise InvalidFeatures(f"'{column.name}' has no category {value!r}")
        return numeric, categorical

    def _single_changes(
        self, numeric: npt.NDArray[np.float32], categorical: npt.NDArray[np.int64]
    ) -> _SingleChanges:
        parts: list[_SingleChanges] = []
        for feature, name in enumerate(self._actionable):
            if name in self.policy.numeric:
                j = self._numeric.index(name)
                parts.append(
                    self._numeric_changes(feature, self.policy.numeric[name], j, numeric[j])
                )
                continue
            action = self.policy.categorical[name]
            j = self._categorical.index(name)
            categories = self._schema.categorical_inputs[j].categories
            if isinstance(action, NominalAction):
                parts.append(_nominal_changes(feature, action, j, categories, categorical[j]))
            elif categorical[j] != UNKNOWN_CATEGORY_INDEX:  # no rank to move from: skip
                twin = action.numeric_column
                twin_column = NO_COLUMN if twin is None else self._numeric.index(twin)
                parts.append(
                    _ordinal_changes(feature, action, j, categories, categorical[j], twin_column)
                )
        nothing = _SingleChanges.of_feature(0, np.zeros(0))  # e.g. an unknown ordinal alone
        return _SingleChanges.concatenate(parts or [nothing])

    def _numeric_changes(
        self, feature: int, action: NumericAction, column: int, current: np.float32
    ) -> _SingleChanges:
        grid = self._grids[self._numeric[column]]
        grid = grid[action.direction.allows(current, grid)]
        cost = np.abs(grid.astype(np.float64) - float(current)) / action.scale
        return _SingleChanges.of_feature(feature, cost, numeric=(column, grid))

    def _changes(
        self, row: Mapping[str, Any], singles: _SingleChanges, chosen: tuple[int, ...]
    ) -> list[Change]:
        changes: list[Change] = []
        for index in sorted(chosen, key=lambda i: int(singles.feature[i])):
            name = self._actionable[int(singles.feature[index])]
            implied_by = None
            categorical_column = int(singles.categorical_column[index])
            if categorical_column != NO_COLUMN:
                categories = self._schema.categorical_inputs[categorical_column].categories
                after = categories[int(singles.categorical_value[index]) - 1]
                changes.append(Change(feature=name, before=row.get(name), after=after))
                implied_by = name
            numeric_column = int(singles.numeric_column[index])
            if numeric_column != NO_COLUMN:
                column = self._numeric[numeric_column]
                changes.append(
                    Change(
                        feature=column,
                        before=float(row[column]),
                        after=float(singles.numeric_value[index]),
                        implied_by=implied_by,
                    )
                )
        return changes


def _nominal_changes(
    feature: int,
    action: NominalAction,
    column: int,
    categories: tuple[str, ...],
    current: np.int64,
) -> _SingleChanges:
    indices = np.array([categories.index(t) + 1 for t in action.targets or categories], np.int64)
    indices = indices[indices != current]
    cost = np.full(len(indices), action.cost, np.float64)
    return _SingleChanges.of_feature(feature, cost, categorical=(column, indices))


def _ordinal_changes(
    feature: int,
    action: OrdinalAction,
    column: int,
    categories: tuple[str, ...],
    current: np.int64,
    twin_column: int,
) -> _SingleChanges:
    rank = action.order.index(categories[current - 1]) + 1
    ranks = np.arange(1, len(action.order) + 1, dtype=np.int64)
    ranks = ranks[action.direction.allows(rank, ranks)]
    indices = np.array([categories.index(action.order[r - 1]) + 1 for r in ranks], np.int64)
    cost = np.abs(ranks - rank).astype(np.float64) / action.scale
    twin = None if twin_column == NO_COLUMN else (twin_column, ranks.astype(np.float32))
    return _SingleChanges.of_feature(feature, cost, numeric=twin, categorical=(column, indices))


class _BestFirst:
    """One row's search: levels of 1, 2, ... changes, cheapest first, within one budget."""

    def __init__(
        self,
        search: CounterfactualSearch,
        numeric: npt.NDArray[np.float32],
        categorical: npt.NDArray[np.int64],
        singles: _SingleChanges,
        *,
        denied: bool,
    ) -> None:
        self.search = search
        self.numeric = numeric
        self.categorical = categorical
        self.singles = singles
        self.denied = denied
        self.evaluations = 1  # the row itself, scored by the caller
        self.best: tuple[tuple[int, ...], float] | None = None
        self.best_cost = np.inf

    def run(self) -> None:
        if len(self.singles) == 0:
            return
        every = np.arange(len(self.singles), dtype=np.int64)[:, None]
        # every single change that did not flip is a parent of the pairs, so pairs are exact
        parents = self._settle(every, self._score(every), keep=len(every))
        for _ in range(2, self.search.max_changes + 1):
            children = self._children(parents)
            if len(children) == 0 or self.evaluations >= self.search.max_evaluations:
                return
            parents = self._level(children)

    def _level(self, children: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """Score children cheapest first until a batch flips or the budget is spent."""
        scored: list[npt.NDArray[np.int64]] = []
        probabilities: list[npt.NDArray[np.float32]] = []
        start = 0
        while start < len(children) and self.evaluations < self.search.max_evaluations:
            room = self.search.max_evaluations - self.evaluations
            batch = children[start : start + min(BATCH, room)]
            start += len(batch)
            scored.append(batch)
            probabilities.append(self._score(batch))
            if self._flips(probabilities[-1]).any():
                break  # every child after this batch costs at least as much as its flip
        if not scored:
            return children[:0]
        return self._settle(np.vstack(scored), np.concatenate(probabilities), self.search.beam)

    def _settle(
        self,
        combinations: npt.NDArray[np.int64],
        probabilities: npt.NDArray[np.float32],
        keep: int,
    ) -> npt.NDArray[np.int64]:
        """Record the cheapest flip; return the `keep` non-flips that moved furthest."""
        flips = self._flips(probabilities)
        costs = self.singles.cost[combinations].sum(axis=1)
        if flips.any():
            cheapest = int(np.flatnonzero(flips)[np.argmin(costs[flips])])
            if costs[cheapest] < self.best_cost:
                self.best_cost = float(costs[cheapest])
                chosen = tuple(int(i) for i in combinations[cheapest])
                self.best = (chosen, float(probabilities[cheapest]))
        progress = probabilities if self.denied else -probabilities
        stayed = np.flatnonzero(~flips)
        furthest = stayed[np.argsort(-progress[stayed], kind="stable")[:keep]]
        return combinations[np.sort(furthest)]

    def _children(self, parents: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """Each parent plus a change of a feature it leaves alone, cheaper than the best flip."""
        count = len(self.singles)
        size = parents.shape[1] + 1
        grown = np.empty((len(parents) * count, size), np.int64)
        grown[:, :-1] = np.repeat(parents, count, axis=0)
        grown[:, -1] = np.tile(np.arange(count), len(parents))
        features = self.singles.feature[grown]
        children = grown[(features[:, :-1] != features[:, -1:]).all(axis=1)]
        costs = self.singles.cost[children].sum(axis=1)
        cheaper = costs < self.best_cost
        children, costs = np.sort(children[cheaper], axis=1), costs[cheaper]
        # the same set reached from two parents is scored once
        keys = (children * count ** np.arange(size, dtype=np.int64)).sum(axis=1)
        _, first = np.unique(keys, return_index=True)
        children, costs = children[first], costs[first]
        return children[np.argsort(costs, kind="stable")]

    def _score(self, combinations: npt.NDArray[np.int64]) -> npt.NDArray[np.float32]:
        """One model call: the row with each combination of single changes applied."""
        rows = len(combinations)
        numeric = np.tile(self.numeric, (rows, 1))
        categorical = np.tile(self.categorical, (rows, 1))
        every = np.arange(rows)
        singles = self.singles
        for position in range(combinations.shape[1]):
            chosen = combinations[:, position]
            columns = singles.numeric_column[chosen]
            sets = columns != NO_COLUMN
            numeric[every[sets], columns[sets]] = singles.numeric_value[chosen[sets]]
            columns = singles.categorical_column[chosen]
            sets = columns != NO_COLUMN
            categorical[every[sets], columns[sets]] = singles.categorical_value[chosen[sets]]
        self.evaluations += rows
        return self.search._predict(numeric, categorical)

    def _flips(self, probabilities: npt.NDArray[np.float32]) -> npt.NDArray[np.bool_]:
        approved = probabilities >= self.search.threshold
        return approved if self.denied else ~approved


def find_counterfactual(
    predict: Predict,
    schema: FeatureSchema,
    policy: CounterfactualPolicy,
    row: Mapping[str, Any],
    threshold: float = DECISION_THRESHOLD,
    max_changes: int = MAX_CHANGES,
    *,
    max_evaluations: int = MAX_EVALUATIONS,
    beam: int = BEAM,
) -> Counterfactual:
    """One search; a service answering many builds a `CounterfactualSearch` once instead."""
    search = CounterfactualSearch(
        predict,
        schema,
        policy,
        threshold=threshold,
        max_changes=max_changes,
        max_evaluations=max_evaluations,
        beam=beam,
    )
    return search.find(row)
