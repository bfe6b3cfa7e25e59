"""Named transformations of real Adult rows, so that ground truth is known exactly: which
requests were shifted, from which moment, and which group's labels were biased.

A transform takes one row (a JSON-ready dict), its true label and the generator's random
source, and returns the instance to send, the label to report as feedback, and the name of
the defect it planted ("" for a valid instance), so measures know which requests had to be
refused.
"""

from collections.abc import Callable
from typing import Any

import numpy as np

Row = dict[str, Any]
Changed = tuple[Row, int, str]
Transform = Callable[[Row, int, np.random.Generator], Changed]


def unchanged(row: Row, label: int, random: np.random.Generator) -> Changed:
    return row, label, ""


def covariate_drift(row: Row, label: int, random: np.random.Generator) -> Changed:
    """Older applicants who work longer hours and more often have capital gains: a shift in
    the inputs only; the labels stay those of the real rows."""
    shifted = dict(row)
    shifted["age"] = float(min(90.0, row["age"] + 20.0))
    shifted["hours_per_week"] = float(min(99.0, row["hours_per_week"] * 1.5))
    if random.random() < 0.4:
        shifted["capital_gain"] = float(min(99_999.0, row["capital_gain"] + 15_000.0))
    return shifted, label, ""


def _renamed_column(row: Row) -> Row:
    broken = dict(row)
    broken["hours_worked"] = broken.pop("hours_per_week")
    return broken


def _null_required(row: Row) -> Row:
    return {**row, "age": None}


def _unseen_category(row: Row) -> Row:
    return {**row, "workclass": "Gig-economy"}


def _type_change(row: Row) -> Row:
    return {**row, "age": f"{row['age']:g} years"}


DEFECTS: tuple[Callable[[Row], Row], ...] = (
    _renamed_column, _null_required, _unseen_category, _type_change,
)  # fmt: skip


def data_quality(row: Row, label: int, random: np.random.Generator) -> Changed:
    """Half the requests carry one defect: a renamed column, a null where a value is
    required, an unseen category, or a number sent as text. Each must be refused (4xx)."""
    if random.random() < 0.5:
        defect = DEFECTS[int(random.integers(len(DEFECTS)))]
        return defect(row), label, defect.__name__.strip("_")
    return row, label, ""


def subgroup_bias(row: Row, label: int, random: np.random.Generator) -> Changed:
    """Women's rows shift (fewer hours, less capital gain) and their feedback labels are
    biased: 40% of their negative outcomes are reported positive, so the served model now
    misses far more of the group's positives than of anyone else's."""
    if row.get("sex") != "Female":
        return row, label, ""
    shifted = {**row, "hours_per_week": float(max(1.0, row["hours_per_week"] * 0.7)),
               "capital_gain": 0.0}  # fmt: skip
    if label == 0 and random.random() < 0.4:
        return shifted, 1, ""
    return shifted, label, ""


TRANSFORMS: dict[str, Transform] = {
    "none": unchanged,
    "covariate-drift": covariate_drift,
    "data-quality": data_quality,
    "subgroup-bias": subgroup_bias,
}
