"""The transforms work on any tabular schema: drift moves the important numeric columns by
deviations, data quality breaks the system's own columns, bias shifts and relabels the
declared group."""

import numpy as np
import pytest

from harness.system.instances import Column, InstanceSchema, Kind
from harness.system.shaping import Shaping, TrafficRow
from harness.traffic.transforms import TRANSFORMS, UNSEEN

SCHEMA = InstanceSchema(source="openapi", columns=(
    Column(name="amount", kind=Kind.NUMBER, mean=100.0, std=20.0, minimum=0, maximum=130),
    Column(name="count", kind=Kind.INTEGER, mean=5.0, std=2.0),
    Column(name="colour", kind=Kind.CATEGORY, categories=("red", "blue")),
    Column(name="note", kind=Kind.TEXT, nullable=True),
))  # fmt: skip
SHAPING = Shaping(instance_schema=SCHEMA, important=["amount", "count"], positive=1, negative=0)
ROW = TrafficRow(instance={"amount": 100.0, "count": 5, "colour": "red", "note": None}, label=0)


def test_drift_shifts_the_important_columns_by_deviations_within_a_declared_range() -> None:
    instance, label, defect = TRANSFORMS["covariate-drift"](ROW, np.random.default_rng(0), SHAPING)
    assert instance == {"amount": 130.0, "count": 8, "colour": "red", "note": None}
    assert (label, defect) == (0, "")


@pytest.mark.parametrize("seed", range(40))
def test_a_data_quality_defect_breaks_one_of_the_systems_own_columns(seed: int) -> None:
    instance, _, defect = TRANSFORMS["data-quality"](ROW, np.random.default_rng(seed), SHAPING)
    if defect == "":
        assert instance == ROW.instance
    elif defect == "renamed_column":
        assert set(instance) - set(ROW.instance) <= {"amount_renamed", "count_renamed",
                                                      "colour_renamed"}  # fmt: skip
    elif defect == "null_required":
        assert None in [instance[k] for k in ("amount", "count", "colour")]
    elif defect == "unseen_category":
        assert instance["colour"] == UNSEEN
    else:
        assert defect == "type_change"
        assert any(isinstance(instance[k], str) for k in ("amount", "count"))


def test_bias_shifts_and_relabels_the_group_only() -> None:
    member = ROW.model_copy(update={"member": True})
    random = np.random.default_rng(3)
    outcomes = [TRANSFORMS["subgroup-bias"](member, random, SHAPING) for _ in range(400)]
    assert {o[0]["amount"] for o in outcomes} == {80.0}
    flipped = sum(label == 1 for _, label, _ in outcomes) / len(outcomes)
    assert 0.3 < flipped < 0.5
    assert TRANSFORMS["subgroup-bias"](ROW, random, SHAPING) == (ROW.instance, 0, "")
