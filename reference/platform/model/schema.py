"""The feature schema: one data file that says what every column is and may hold.

Validation, encoding for the models, fairness (which columns are sensitive) and PII
handling all read the same `FeatureSchema`, so a column's rules are stated once.
"""

import hashlib
import json
from collections.abc import Mapping, Sequence
from enum import StrEnum
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any, Self

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from readiness.documents import load_document, parse_document
from readiness.errors import InvalidFeatures, InvalidSchema

DEFAULT_SCHEMA_RESOURCE = "feature_schema.yaml"
UNKNOWN_CATEGORY_INDEX = 0
"""Index that encodes a missing or unseen category; known categories start at 1."""


class ColumnRole(StrEnum):
    FEATURE = "feature"
    ENTITY = "entity"
    PII = "pii"


class ColumnKind(StrEnum):
    NUMERIC = "numeric"
    CATEGORICAL = "categorical"
    TEXT = "text"


class Transform(StrEnum):
    NONE = "none"
    LOG1P = "log1p"


class ColumnSpec(BaseModel):
    """One column: its role, its kind and what values it may hold."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    role: ColumnRole = ColumnRole.FEATURE
    kind: ColumnKind
    description: str = ""
    nullable: bool = False
    min: float | None = None
    max: float | None = None
    categories: tuple[str, ...] = ()
    transform: Transform = Transform.NONE
    sensitive: bool = False
    model_input: bool = True

    @model_validator(mode="after")
    def _rules_fit_the_kind(self) -> Self:
        if self.kind is ColumnKind.CATEGORICAL:
            if not self.categories:
                raise ValueError(f"categorical column '{self.name}' lists no categories")
            if len(set(self.categories)) != len(self.categories):
                raise ValueError(f"column '{self.name}' lists a category twice")
        elif self.categories:
            raise ValueError(f"column '{self.name}' is {self.kind} but lists categories")
        if self.kind is ColumnKind.NUMERIC and (
            self.min is None or self.max is None or self.min >= self.max
        ):
            raise ValueError(f"numeric column '{self.name}' needs min < max")
        if self.role is not ColumnRole.FEATURE and self.sensitive:
            raise ValueError(f"column '{self.name}' is not a feature, so it cannot be sensitive")
        return self

    @property
    def is_model_input(self) -> bool:
        return self.role is ColumnRole.FEATURE and self.model_input


class LabelSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    source_column: str
    positive_value: str
    description: str = ""


class FeatureSchema(BaseModel):
    """The whole schema; its digest identifies the model interface it implies."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    version: int = Field(ge=1)
    entity: str
    label: LabelSpec
    columns: tuple[ColumnSpec, ...]

    @model_validator(mode="after")
    def _columns_are_consistent(self) -> Self:
        names = [column.name for column in self.columns]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"columns named twice: {', '.join(duplicates)}")
        entity = [c for c in self.columns if c.name == self.entity]
        if not entity or entity[0].role is not ColumnRole.ENTITY:
            raise ValueError(f"entity '{self.entity}' must be a column with role 'entity'")
        if self.label.name in names:
            raise ValueError(f"label '{self.label.name}' must not also be a column")
        return self

    def column(self, name: str) -> ColumnSpec:
        for column in self.columns:
            if column.name == name:
                return column
        raise InvalidFeatures(f"unknown column '{name}' (not in schema '{self.name}')")

    @cached_property
    def features(self) -> tuple[ColumnSpec, ...]:
        return tuple(c for c in self.columns if c.role is ColumnRole.FEATURE)

    @cached_property
    def numeric_inputs(self) -> tuple[ColumnSpec, ...]:
        return tuple(c for c in self.columns if c.is_model_input and c.kind is ColumnKind.NUMERIC)

    @cached_property
    def categorical_inputs(self) -> tuple[ColumnSpec, ...]:
        return tuple(
            c for c in self.columns if c.is_model_input and c.kind is ColumnKind.CATEGORICAL
        )

    @cached_property
    def model_inputs(self) -> tuple[ColumnSpec, ...]:
        return self.numeric_inputs + self.categorical_inputs

    @cached_property
    def sensitive(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.sensitive)

    @cached_property
    def pii(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.role is ColumnRole.PII)

    def digest(self) -> str:
        """sha256 of the canonical schema; changes whenever the model interface can change."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True)
        return hashlib.sha256(canonical.encode()).hexdigest()

    def validate_frame(self, frame: pd.DataFrame, *, allow_label: bool = True) -> None:
        """Raise `InvalidFeatures` naming every column that breaks the schema."""
        problems: list[str] = []
        known = {c.name for c in self.columns} | ({self.label.name} if allow_label else set())
        problems += [f"unknown column '{name}'" for name in frame.columns if name not in known]
        for column in self.columns:
            if column.name not in frame.columns:
                if column.role is ColumnRole.FEATURE:
                    problems.append(f"missing column '{column.name}'")
                continue
            problems += _column_problems(column, frame[column.name])
        if problems:
            shown = "; ".join(problems[:8])
            more = f" (and {len(problems) - 8} more)" if len(problems) > 8 else ""
            raise InvalidFeatures(f"{len(problems)} schema violation(s): {shown}{more}")

    def encode(self, frame: pd.DataFrame) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
        """Model inputs: raw numeric values, and categorical indices (0 = missing/unseen)."""
        numeric = np.column_stack(
            [frame[c.name].to_numpy(dtype=np.float32) for c in self.numeric_inputs]
        ).astype(np.float32)
        categorical = np.column_stack(
            [_category_indices(c, frame[c.name]) for c in self.categorical_inputs]
        ).astype(np.int64)
        return numeric, categorical

    def encode_sensitive(self, frame: pd.DataFrame) -> npt.NDArray[np.int64]:
        """Group codes of the sensitive columns, for fairness-aware training only."""
        columns = [self.column(name) for name in self.sensitive]
        codes = [_category_indices(c, frame[c.name]) for c in columns]
        return np.column_stack(codes).astype(np.int64)


class RecordEncoder:
    """`FeatureSchema.encode` for a few JSON records at a time, without building a DataFrame.

    A serving path encodes one small request at a time, where pandas' per-frame overhead
    costs more than the model; the answer is the same as `encode` (tested), only cheaper.
    """

    def __init__(self, schema: FeatureSchema) -> None:
        self.numeric = [c.name for c in schema.numeric_inputs]
        self.categorical: list[tuple[str, dict[Any, int]]] = [
            (c.name, {category: index + 1 for index, category in enumerate(c.categories)})
            for c in schema.categorical_inputs
        ]

    def encode(
        self, records: "Sequence[Mapping[str, Any]]"
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
        nan = float("nan")
        numeric = np.array(
            [[_number(r.get(name), nan) for name in self.numeric] for r in records], np.float32
        ).reshape(len(records), len(self.numeric))
        categorical = np.array(
            [[lookup.get(r.get(name), UNKNOWN_CATEGORY_INDEX) for name, lookup in self.categorical]
             for r in records], np.int64,
        ).reshape(len(records), len(self.categorical))  # fmt: skip
        return numeric, categorical


def _number(value: Any, missing: float) -> float:
    return missing if value is None else float(value)


def _category_indices(column: ColumnSpec, values: "pd.Series[str]") -> npt.NDArray[np.int64]:
    lookup = {category: index + 1 for index, category in enumerate(column.categories)}
    mapped = values.map(lookup).fillna(UNKNOWN_CATEGORY_INDEX)
    return np.asarray(mapped, dtype=np.int64)


def _column_problems(column: ColumnSpec, values: "pd.Series[Any]") -> list[str]:
    present = values.dropna()
    problems: list[str] = []
    if not column.nullable and column.role is ColumnRole.FEATURE and len(present) < len(values):
        problems.append(f"column '{column.name}' has {len(values) - len(present)} missing values")
    if column.kind is ColumnKind.NUMERIC:
        numeric = pd.to_numeric(present, errors="coerce")
        if numeric.isna().any():
            problems.append(f"column '{column.name}' holds non-numeric values")
            return problems
        low = column.min if column.min is not None else -np.inf
        high = column.max if column.max is not None else np.inf
        outside = numeric[(numeric < low) | (numeric > high)]
        if len(outside):
            problems.append(
                f"column '{column.name}' has {len(outside)} values outside "
                f"[{low:g}, {high:g}] (e.g. {outside.iloc[0]})"
            )
    elif column.kind is ColumnKind.CATEGORICAL:
        unseen = sorted(set(present.astype(str)) - set(column.categories))
        if unseen:
            problems.append(f"column '{column.name}' has unknown categories {unseen[:3]}")
    return problems


def load_schema(path: Path | None = None) -> FeatureSchema:
    """Load and validate a schema file; the packaged applicant schema by default."""
    if path is not None:
        return load_document(path, FeatureSchema, InvalidSchema, "feature schema")
    text = resources.files("reference.platform").joinpath(DEFAULT_SCHEMA_RESOURCE).read_text()
    return parse_document(
        text, DEFAULT_SCHEMA_RESOURCE, FeatureSchema, InvalidSchema, "feature schema"
    )
