"""The recourse policy: what a counterfactual may change, and what each change costs.

A counterfactual is advice to a person ("with 8 more hours a week you would have been
approved"), so it may only propose what a person can change and a lender may fairly ask
for. That is a decision for people, not for the search, so it is data
(`policies/counterfactual.yaml`): every model input is either actionable, with how it may
move and what a move costs, or immutable. The policy is checked against the feature schema
when loaded and again when a search is built, so a sensitive column, a column the model
does not read, or a model input nobody classified is refused with its name, and the search
can trust that whatever it proposes is allowed.

Costs are on one scale: a numeric move costs |change| / scale (the training standard
deviation, so one standard deviation of any feature costs 1), an ordinal move costs its
number of steps / scale, and a nominal change a fixed cost.
"""

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal, Self

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field, model_validator

from readiness.documents import load_document
from readiness.errors import InvalidPolicy
from readiness.resources import shipped
from reference.platform.model.schema import ColumnKind, ColumnSpec, FeatureSchema, load_schema

POLICY_PATH = shipped("reference.platform", "policies", "counterfactual.yaml")
MAX_GRID_POINTS = 1000
"""A numeric grid larger than this is a mistake (a step too small) that would slow every search."""


class Direction(StrEnum):
    UP = "up"
    DOWN = "down"
    BOTH = "both"

    def allows(self, before: Any, after: npt.NDArray[Any]) -> npt.NDArray[np.bool_]:
        """Which of `after` a move from `before` may reach: never `before` itself."""
        if self is Direction.UP:
            return np.asarray(after > before)
        if self is Direction.DOWN:
            return np.asarray(after < before)
        return np.asarray(after != before)


class NumericAction(BaseModel):
    """A numeric input moves on the grid min, min + step, ..., max, in the allowed direction."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    direction: Direction = Direction.BOTH
    min: float
    max: float
    step: float = Field(gt=0)
    scale: float = Field(gt=0)
    """A move costs |change| / scale."""

    @model_validator(mode="after")
    def _grid_is_usable(self) -> Self:
        if self.min >= self.max:
            raise ValueError(f"min ({self.min:g}) must be below max ({self.max:g})")
        if (self.max - self.min) / self.step > MAX_GRID_POINTS:
            raise ValueError(f"the grid would hold more than {MAX_GRID_POINTS} values")
        return self

    def grid(self) -> npt.NDArray[np.float32]:
        """The values a counterfactual may propose, as the model reads them (float32)."""
        count = int(np.floor((self.max - self.min) / self.step + 1e-9)) + 1
        return (self.min + self.step * np.arange(count)).astype(np.float32)


class NominalAction(BaseModel):
    """An unordered category may become any of `targets` (every category when omitted)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["nominal"]
    targets: tuple[str, ...] | None = Field(default=None, min_length=1)
    cost: float = Field(gt=0)
    """The cost of any change of this category."""


class OrdinalAction(BaseModel):
    """An ordered category moves along `order`; a numeric twin column may move with it.

    Adult holds education twice, as a category and as its rank (`education_num`); changing
    one without the other would ask the model about a person who cannot exist, so the rank
    column follows the category: it is set to the 1-based position in `order`.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["ordinal"]
    order: tuple[str, ...] = Field(min_length=2)
    direction: Direction = Direction.UP
    scale: float = Field(gt=0)
    """A move of n steps along `order` costs n / scale."""
    numeric_column: str | None = None


CategoricalAction = Annotated[NominalAction | OrdinalAction, Field(discriminator="kind")]


class CounterfactualPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    numeric: dict[str, NumericAction] = Field(default_factory=dict)
    categorical: dict[str, CategoricalAction] = Field(default_factory=dict)
    immutable: tuple[str, ...] = ()
    rationale: str = ""

    @property
    def actionable(self) -> tuple[str, ...]:
        return (*self.numeric, *self.categorical)

    @property
    def implied(self) -> dict[str, str]:
        """Numeric columns that follow an ordinal category, mapped to that category."""
        return {
            action.numeric_column: name
            for name, action in self.categorical.items()
            if isinstance(action, OrdinalAction) and action.numeric_column is not None
        }

    def check_against(self, schema: FeatureSchema) -> None:
        """Raise `InvalidPolicy` naming every column the policy may not treat as it does."""
        problems = _problems(self, schema)
        if problems:
            raise InvalidPolicy(f"counterfactual policy '{self.name}': {'; '.join(problems)}")


def load_counterfactual_policy(
    path: Path = POLICY_PATH, schema: FeatureSchema | None = None
) -> CounterfactualPolicy:
    """Load a policy file and check it against `schema` (the packaged schema by default)."""
    policy = load_document(path, CounterfactualPolicy, InvalidPolicy, "counterfactual policy")
    policy.check_against(schema or load_schema())
    return policy


def _problems(policy: CounterfactualPolicy, schema: FeatureSchema) -> list[str]:
    columns = {column.name: column for column in schema.columns}
    inputs = {column.name: column for column in schema.model_inputs}
    named = [*policy.actionable, *policy.implied, *policy.immutable]
    problems = [
        f"'{n}' is not a column of schema '{schema.name}'" for n in named if n not in columns
    ]
    twice = sorted({name for name in named if named.count(name) > 1})
    problems += [f"'{name}' is classified more than once" for name in twice]
    for name in [n for n in (*policy.actionable, *policy.implied) if n in columns]:
        if columns[name].sensitive:
            problems.append(f"'{name}' is sensitive and can never be actionable")
        elif name not in inputs:
            problems.append(f"'{name}' is not a model input, so changing it changes no decision")
    for name, numeric in policy.numeric.items():
        if name in inputs:
            problems += _numeric_problems(name, numeric, inputs[name])
    for name, categorical in policy.categorical.items():
        if name in inputs:
            problems += _categorical_problems(name, categorical, inputs[name], schema)
    unclassified = [name for name in inputs if name not in named]
    problems += [
        f"model input '{name}' is neither actionable nor immutable" for name in unclassified
    ]
    return problems


def _numeric_problems(name: str, action: NumericAction, column: ColumnSpec) -> list[str]:
    if column.kind is not ColumnKind.NUMERIC:
        return [f"'{name}' is {column.kind}, not numeric"]
    low = -np.inf if column.min is None else column.min
    high = np.inf if column.max is None else column.max
    if action.min < low or action.max > high:
        return [
            f"'{name}' bounds [{action.min:g}, {action.max:g}] leave the schema's range "
            f"[{low:g}, {high:g}]"
        ]
    return []


def _categorical_problems(
    name: str, action: CategoricalAction, column: ColumnSpec, schema: FeatureSchema
) -> list[str]:
    if column.kind is not ColumnKind.CATEGORICAL:
        return [f"'{name}' is {column.kind}, not categorical"]
    listed = (action.targets or ()) if isinstance(action, NominalAction) else action.order
    unknown = [category for category in listed if category not in column.categories]
    problems = [f"'{name}' has no categories {unknown}"] if unknown else []
    if isinstance(action, NominalAction):
        return problems
    if len(set(action.order)) != len(action.order) or set(action.order) != set(column.categories):
        problems.append(f"'{name}' order must list each of its categories exactly once")
    twin = action.numeric_column
    numeric = {c.name: c for c in schema.numeric_inputs}
    if twin is None:
        return problems
    if twin not in numeric:
        problems.append(f"'{name}' numeric_column '{twin}' is not a numeric model input")
    elif (numeric[twin].min or 0) > 1 or (numeric[twin].max or 0) < len(action.order):
        problems.append(f"'{name}' ranks 1..{len(action.order)} leave the range of '{twin}'")
    return problems
