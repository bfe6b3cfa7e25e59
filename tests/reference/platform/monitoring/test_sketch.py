from collections import Counter

import numpy as np
import pandas as pd
import pytest

from reference.platform.model.schema import FeatureSchema
from reference.platform.monitoring.sketch import (
    SketchBuilder,
    latency_bucket,
    latency_buckets,
    rejection_kind,
)
from reference.platform.monitoring.training_reference import MonitorReference
from tests.reference.platform.monitoring.sketches import build, score


def test_two_halves_merge_into_the_sketch_of_the_whole(
    monitor_reference: MonitorReference, schema: FeatureSchema, test_rows: pd.DataFrame
) -> None:
    rows = test_rows[:2000]
    whole = build(monitor_reference, schema, rows)
    merged = build(monitor_reference, schema, rows[:903]).merge(
        build(monitor_reference, schema, rows[903:])
    )
    assert merged.rows == whole.rows == 2000
    assert merged.counts == whole.counts
    assert merged.scores == whole.scores
    assert merged.latency_ms == whole.latency_ms
    assert np.allclose(merged.correlation(), whole.correlation())  # type: ignore[arg-type]


def test_the_sketch_correlations_are_the_rows_correlations(
    monitor_reference: MonitorReference, schema: FeatureSchema, test_rows: pd.DataFrame
) -> None:
    rows = test_rows[:3000]
    numeric = schema.encode(rows)[0].astype(np.float64)
    expected = np.corrcoef(numeric, rowvar=False)
    assert np.allclose(build(monitor_reference, schema, rows).correlation(), expected, atol=1e-6)  # type: ignore[arg-type]


def test_a_build_starts_a_fresh_sketch_and_keeps_versions_apart(
    monitor_reference: MonitorReference, schema: FeatureSchema, test_rows: pd.DataFrame
) -> None:
    builder = SketchBuilder(monitor_reference, "adult-income")
    numeric, categorical = schema.encode(test_rows[:10])
    builder.add("3", numeric[:4], categorical[:4], score(numeric[:4]))
    builder.add("4", numeric[4:], categorical[4:], score(numeric[4:]))
    first = builder.build()
    assert {(s.version, s.rows) for s in first} == {("3", 4), ("4", 6)}
    assert builder.build() == []


def test_latency_percentiles_come_within_five_percent(
    monitor_reference: MonitorReference,
) -> None:
    latencies = np.random.default_rng(3).lognormal(1.0, 0.6, 5000)
    builder = SketchBuilder(monitor_reference, "m")
    empty = (np.empty((0, 6), np.float32), np.empty((0, 6), np.int64))
    for value in latencies:
        builder.add("1", *empty, [], latency_ms=float(value))
    p99 = builder.build()[0].latency_percentile(99)
    assert p99 == pytest.approx(np.percentile(latencies, 99), rel=0.05)
    assert latency_bucket(0.01) == 0
    values = np.array([0.01, 0.05, 0.06, 1.0, 2.5, 2.5, 900.0])
    assert latency_buckets(values) == dict(Counter(latency_bucket(v) for v in values))


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        ({"type": "extra_forbidden", "loc": ("body", "instances", 0, "years")}, "schema"),
        ({"type": "missing", "loc": ("body", "instances", 0, "age")}, "schema"),
        ({"type": "float_type", "input": None, "loc": ("body", "instances", 0, "age")}, "null"),
        ({"type": "float_type", "input": "forty", "loc": ("body", "instances", 0, "age")}, "type"),
        ({"type": "literal_error", "input": "Mars", "loc": ("native_country",)}, "category"),
        ({"type": "less_than_equal", "input": 300, "loc": ("age",)}, "range"),
    ],
)
def test_a_refusal_is_classed_by_what_it_says_about_the_data(error: dict, kind: str) -> None:  # type: ignore[type-arg]
    assert rejection_kind(error) == kind


def test_refusals_are_counted_by_kind_and_field(monitor_reference: MonitorReference) -> None:
    builder = SketchBuilder(monitor_reference, "m")
    builder.refuse("3", [{"type": "extra_forbidden", "loc": ("body", "instances", 0, "years")},
                    {"type": "missing", "loc": ("body", "instances", 0, "age")}])  # fmt: skip
    builder.refuse("3", [{"type": "missing", "loc": ("body", "instances", 1, "age")}])
    (sketch,) = builder.build()
    assert sketch.version == "3"
    assert sketch.rows == 0
    assert sketch.rejected_rows == 2
    assert sketch.rejected == {"schema:years": 1, "schema:age": 2}


def test_a_request_refused_only_for_its_size_adds_no_rejected_rows(
    monitor_reference: MonitorReference,
) -> None:
    builder = SketchBuilder(monitor_reference, "m")
    builder.refuse("3", [{"type": "too_long", "loc": ("body", "instances")}], instances=300)
    (sketch,) = builder.build()
    assert sketch.rejected_rows == 0
    assert sketch.rejected == {"size:instances": 1}
