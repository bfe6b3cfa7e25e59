"""Named transformations of the system's own rows, so that ground truth is known exactly:
which requests were shifted, from which moment, and which group's labels were biased.

They are defined on any tabular schema (`harness.system.loading.Shaping`): drift shifts
the numeric columns that matter most by a stated number of standard deviations, data
quality plants one defect in the system's own columns, bias shifts a declared group and
reports some of its negative outcomes as positive. A transform takes one row, the random
source and the shaping, and returns the instance to send, the label to report as feedback,
and the name of the defect it planted ("" for a valid instance), so measures know which
requests had to be refused.
"""

from collections.abc import Callable
from typing import Any

import numpy as np

from harness.system.instances import Column, Kind
from harness.system.shaping import Shaping, TrafficRow

Row = dict[str, Any]
Changed = tuple[Row, Any, str]
Transform = Callable[[TrafficRow, np.random.Generator, Shaping], Changed]
DRIFT_DEVIATIONS = 1.5
"""How far drift moves the important columns: far enough that a PSI over fixed training
bins passes 0.25 (about 0.5 at 1.5 deviations on a normal column)."""
BIAS_DEVIATIONS = -1.0
BIAS_FLIP_SHARE = 0.4
UNSEEN = "readiness-unseen-category"


def unchanged(row: TrafficRow, random: np.random.Generator, shaping: Shaping) -> Changed:
    return dict(row.instance), row.label, ""


def _shifted(value: Any, column: Column, deviations: float) -> Any:
    if value is None or column.std is None:
        return value
    moved = float(value) + deviations * column.std
    if column.declared and column.minimum is not None:
        moved = max(column.minimum, moved)
    if column.declared and column.maximum is not None:
        moved = min(column.maximum, moved)
    return round(moved) if column.kind is Kind.INTEGER else moved


def _shift(instance: Row, shaping: Shaping, deviations: float) -> Row:
    shifted = dict(instance)
    for name in shaping.important:
        column = shaping.instance_schema.column(name)
        if column is not None and name in shifted:
            shifted[name] = _shifted(shifted[name], column, deviations)
    return shifted


def covariate_drift(row: TrafficRow, random: np.random.Generator, shaping: Shaping) -> Changed:
    """The important numeric columns move up by DRIFT_DEVIATIONS standard deviations (held
    within a declared range): a shift in the inputs only; the labels stay the rows'."""
    return _shift(row.instance, shaping, DRIFT_DEVIATIONS), row.label, ""


def _columns(shaping: Shaping, wanted: Callable[[Column], bool]) -> list[Column]:
    return [c for c in shaping.instance_schema.columns if wanted(c)]


def _renamed_column(instance: Row, column: Column) -> Row:
    broken = dict(instance)
    broken[f"{column.name}_renamed"] = broken.pop(column.name, None)
    return broken


def _null_required(instance: Row, column: Column) -> Row:
    return {**instance, column.name: None}


def _unseen_category(instance: Row, column: Column) -> Row:
    return {**instance, column.name: UNSEEN}


def _type_change(instance: Row, column: Column) -> Row:
    value = instance.get(column.name)
    return {**instance, column.name: f"{value if value is not None else 0:g} units"}


Defect = tuple[str, Callable[[Column], bool], Callable[[Row, Column], Row]]
DEFECTS: tuple[Defect, ...] = (
    ("renamed_column", lambda c: not c.nullable, _renamed_column),
    ("null_required", lambda c: not c.nullable, _null_required),
    ("unseen_category", lambda c: c.kind is Kind.CATEGORY and c.declared, _unseen_category),
    ("type_change", lambda c: c.kind.numeric, _type_change),
)
"""Each defect, the columns it can break, and how: every one must be refused (4xx)."""


def data_quality(row: TrafficRow, random: np.random.Generator, shaping: Shaping) -> Changed:
    """Half the requests carry one defect on one of the system's own columns: a renamed
    column, a null where a value is required, an unseen category, or a number sent as
    text. Defects with no column to break are left out."""
    if random.random() >= 0.5:
        return dict(row.instance), row.label, ""
    possible = [(name, columns, apply) for name, fits, apply in DEFECTS
                if (columns := _columns(shaping, fits))]  # fmt: skip
    if not possible:
        return dict(row.instance), row.label, ""
    name, columns, apply = possible[int(random.integers(len(possible)))]
    column = columns[int(random.integers(len(columns)))]
    return apply(row.instance, column), row.label, name


def subgroup_bias(row: TrafficRow, random: np.random.Generator, shaping: Shaping) -> Changed:
    """The declared group's rows shift (important columns down a deviation) and their
    feedback is biased: 40% of their negative outcomes are reported positive, so the served
    model now misses far more of the group's positives than of anyone else's."""
    if not row.member:
        return dict(row.instance), row.label, ""
    shifted = _shift(row.instance, shaping, BIAS_DEVIATIONS)
    biased = shaping.positive is not None and row.label == shaping.negative
    if biased and random.random() < BIAS_FLIP_SHARE:
        return shifted, shaping.positive, ""
    return shifted, row.label, ""


TRANSFORMS: dict[str, Transform] = {
    "none": unchanged,
    "covariate-drift": covariate_drift,
    "data-quality": data_quality,
    "subgroup-bias": subgroup_bias,
}
