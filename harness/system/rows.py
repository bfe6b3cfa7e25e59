"""The system's own rows: the file its descriptor names, read once, with what each column
is for.

A label, group or id column is never sent as an input unless the request schema names it;
the personal-data columns are sent as the schema says, with canaries planted in them.
Errors name the descriptor field and the problem, before any request is sent.
"""

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from readiness.descriptor import DataSpec
from readiness.errors import InvalidDataset

MAX_ROWS = 200_000
"""Rows kept for traffic: more would only cost memory (a scenario sends a few thousand)."""


def read_table(path: Path) -> pd.DataFrame:
    """A CSV or parquet file as a frame; InvalidDataset naming the file and the problem."""
    if not path.is_file():
        raise InvalidDataset(f"data.rows: {path} does not exist")
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            frame = pd.read_parquet(path)
        elif path.suffix.lower() in (".csv", ".gz", ".txt"):
            frame = pd.read_csv(path, nrows=MAX_ROWS, skipinitialspace=True)
        else:
            raise InvalidDataset(f"data.rows: {path}: expected a .csv or .parquet file")
    except (OSError, ValueError, ImportError) as error:
        raise InvalidDataset(f"data.rows: {path} cannot be read: {error}") from error
    if frame.empty:
        raise InvalidDataset(f"data.rows: {path} holds no rows")
    return frame.head(MAX_ROWS)


@dataclass(frozen=True)
class SystemRows:
    """The rows and the roles of their columns."""

    frame: pd.DataFrame
    spec: DataSpec
    path: Path

    @classmethod
    def load(cls, spec: DataSpec, base: Path) -> "SystemRows":
        path = spec.rows if spec.rows.is_absolute() else base / spec.rows
        frame = read_table(path)
        named = {"data.label": [spec.label] if spec.label else [], "data.groups": spec.groups,
                 "data.id": [spec.id] if spec.id else [], "data.personal": spec.personal,
                 "data.important": spec.important,
                 "data.bias_group": list(spec.bias_group or {})}  # fmt: skip
        for field, columns in named.items():
            missing = [c for c in columns if c not in frame.columns]
            if missing:
                raise InvalidDataset(
                    f"{field}: no column {', '.join(repr(c) for c in missing)} in {path} "
                    f"(columns: {', '.join(map(str, frame.columns[:20]))})"
                )
        if spec.label and frame[spec.label].isna().any():
            raise InvalidDataset(f"data.label: column '{spec.label}' has missing values in {path}")
        return cls(frame.reset_index(drop=True), spec, path)

    @property
    def withheld(self) -> set[str]:
        """Columns that are not inputs unless the request schema names them."""
        return {c for c in [self.spec.label, self.spec.id, *self.spec.groups] if c}

    def default_inputs(self) -> list[str]:
        return [str(c) for c in self.frame.columns if c not in self.withheld]

    def labels(self) -> list[Any] | None:
        if not self.spec.label:
            return None
        return [_plain(v) for v in self.frame[self.spec.label]]

    def records(self, columns: list[str]) -> list[dict[str, Any]]:
        """The rows as JSON-ready instances of `columns` (missing values as None)."""
        missing = [c for c in columns if c not in self.frame.columns]
        if missing:
            raise InvalidDataset(
                f"data.rows: {self.path} lacks the input columns {', '.join(missing)} that the "
                "request schema names"
            )
        return [{name: _plain(value) for name, value in zip(columns, row, strict=True)}
                for row in self.frame[columns].itertuples(index=False, name=None)]  # fmt: skip


def _plain(value: Any) -> Any:
    """A JSON-ready scalar: numpy types unwrapped, NaN and NaT as None."""
    if value is None or value is pd.NaT:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value
