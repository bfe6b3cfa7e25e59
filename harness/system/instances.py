"""The schema of one instance, column by column: kind, nullability, range, categories and
the spread seen in the system's rows.

One model serves every use: which columns are sent, how a protocol types them, what the
drift and defect transforms may change, and the JSON Schema the fuzzer breaks. It is read
from a JSON Schema (a file, an OpenAPI request body, a converted MLflow signature or Open
Inference metadata) or inferred from the rows, then completed with the rows' statistics.
"""

import math
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

MAX_CATEGORIES = 50
"""A text column with at most this many distinct values (and repeats) is a category."""


class Kind(StrEnum):
    NUMBER = "number"
    INTEGER = "integer"
    CATEGORY = "category"
    BOOLEAN = "boolean"
    TEXT = "text"

    @property
    def numeric(self) -> bool:
        return self in (Kind.NUMBER, Kind.INTEGER)


class Column(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    kind: Kind
    nullable: bool = False
    minimum: float | None = None
    maximum: float | None = None
    categories: tuple[str, ...] = ()
    mean: float | None = None
    std: float | None = None
    """Spread in the system's rows (numeric columns), for drift measured in deviations."""
    declared: bool = True
    """Whether a source declared the categories and range (a contract the target may
    enforce), or they were only seen in the rows (a sample: a value beyond them is not
    invalid)."""

    def json_schema(self) -> dict[str, Any]:
        found: dict[str, Any]
        if self.kind is Kind.CATEGORY and self.declared:
            found = {"enum": list(self.categories)}
        elif self.kind in (Kind.TEXT, Kind.CATEGORY):
            found = {"type": "string"}
        elif self.kind is Kind.BOOLEAN:
            found = {"type": "boolean"}
        else:
            found = {"type": "integer" if self.kind is Kind.INTEGER else "number"}
            if self.minimum is not None:
                found["minimum"] = self.minimum
            if self.maximum is not None:
                found["maximum"] = self.maximum
        return {"anyOf": [found, {"type": "null"}]} if self.nullable else found


class InstanceSchema(BaseModel):
    """The columns of one instance, in the order a positional protocol sends them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    columns: tuple[Column, ...]
    source: str
    """Where it came from: `file`, `mlflow-signature`, `open-inference`, `openapi`, `data`."""

    @property
    def names(self) -> list[str]:
        return [column.name for column in self.columns]

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    def json_schema(self) -> dict[str, Any]:
        """One instance as JSON Schema: every column known, the non-nullable ones required,
        nothing else allowed."""
        return {
            "type": "object",
            "properties": {column.name: column.json_schema() for column in self.columns},
            "required": [column.name for column in self.columns if not column.nullable],
            "additionalProperties": False,
        }

    def with_statistics(self, frame: pd.DataFrame) -> "InstanceSchema":
        """The same columns with the rows' mean and spread (and range or categories where
        the source gave none)."""
        return self.model_copy(update={"columns": tuple(
            _completed(column, frame[column.name]) if column.name in frame else column
            for column in self.columns
        )})  # fmt: skip


def _completed(column: Column, values: pd.Series) -> Column:
    present = values.dropna()
    update: dict[str, Any] = {}
    if column.kind.numeric:
        numbers = pd.to_numeric(present, errors="coerce").dropna()
        if not numbers.empty:
            update["mean"], update["std"] = float(numbers.mean()), float(numbers.std(ddof=0))
    elif column.kind is Kind.CATEGORY and not column.categories:
        update["categories"] = tuple(sorted(str(v) for v in present.unique()))
    return column.model_copy(update=update)


def infer_schema(frame: pd.DataFrame, inputs: Iterable[str]) -> InstanceSchema:
    """The instance schema the rows show: a number column is numeric (integer when every
    value is whole), few repeated strings are categories, a column with a missing value
    is nullable. The range is the rows' own: a value outside it is not called invalid,
    since the rows are a sample; only what the rows show is asserted."""
    columns = []
    for name in inputs:
        values = frame[name]
        present = values.dropna()
        nullable = bool(values.isna().any())
        if pd.api.types.is_bool_dtype(values):
            kind = Kind.BOOLEAN
        elif pd.api.types.is_numeric_dtype(values):
            whole = bool(np.all(np.mod(present.to_numpy(dtype=float), 1) == 0))
            kind = Kind.INTEGER if whole and pd.api.types.is_integer_dtype(values) else Kind.NUMBER
        else:
            distinct = present.astype(str).nunique()
            repeated = distinct <= MAX_CATEGORIES and distinct < max(2, len(present) // 2)
            kind = Kind.CATEGORY if repeated else Kind.TEXT
        columns.append(Column(name=str(name), kind=kind, nullable=nullable, declared=False))
    return InstanceSchema(columns=tuple(columns), source="data").with_statistics(frame)


def _kind_of(schema: Mapping[str, Any]) -> tuple[Kind | None, bool]:
    """(kind, nullable) of a column's JSON Schema; kind None where it is no scalar."""
    alternatives = schema.get("anyOf", schema.get("oneOf"))
    if isinstance(alternatives, list):
        real = [a for a in alternatives if isinstance(a, dict) and a.get("type") != "null"]
        nullable = len(real) < len(alternatives)
        if len(real) == 1:
            kind, inner_null = _kind_of(real[0])
            return kind, nullable or inner_null
        return None, nullable
    if "enum" in schema:
        return Kind.CATEGORY, None in schema["enum"]
    declared = schema.get("type")
    kinds = [declared] if isinstance(declared, str) else [str(k) for k in declared or []]
    nullable = "null" in kinds
    scalar = [k for k in kinds if k != "null"]
    table = {"number": Kind.NUMBER, "integer": Kind.INTEGER, "boolean": Kind.BOOLEAN,
             "string": Kind.TEXT}  # fmt: skip
    return (table.get(scalar[0]) if len(scalar) == 1 else None), nullable


def from_json_schema(schema: Mapping[str, Any], source: str) -> InstanceSchema:
    """An instance schema from the JSON Schema of one instance (an object of scalar
    properties; of a union, the branch that requires the most: a full row rather than a
    reference to stored features). ValueError naming what does not fit."""
    branches = [schema]
    for key in ("oneOf", "anyOf"):
        if isinstance(schema.get(key), list):
            branches = [b for b in schema[key] if isinstance(b, dict) and "properties" in b]
    if not branches or not isinstance(branches[0].get("properties"), dict):
        raise ValueError("the instance schema is not an object with properties")
    chosen = max(branches, key=lambda b: (len(b.get("required", [])), len(b["properties"])))
    required = set(chosen.get("required", []))
    columns = []
    for name, declared in chosen["properties"].items():
        if not isinstance(declared, dict):
            continue
        kind, nullable = _kind_of(declared)
        if kind is None:
            raise ValueError(f"property '{name}' is not a scalar column")
        categories = tuple(str(v) for v in declared.get("enum", []) if v is not None)
        columns.append(Column(
            name=name, kind=kind, nullable=nullable or name not in required,
            categories=categories, minimum=_finite(declared.get("minimum")),
            maximum=_finite(declared.get("maximum")),
        ))  # fmt: skip
    if not columns:
        raise ValueError("the instance schema names no column")
    return InstanceSchema(columns=tuple(columns), source=source)


def _finite(value: Any) -> float | None:
    """A bound as a float; None where it is no finite number."""
    number = isinstance(value, int | float) and not isinstance(value, bool)
    return float(value) if number and math.isfinite(value) else None
