import pandas as pd
import pytest

from reference.platform.model.schema import FeatureSchema
from reference.platform.monitoring.quality import quality
from reference.platform.monitoring.sketch import Sketch
from reference.platform.monitoring.training_reference import MonitorReference
from tests.reference.platform.monitoring.sketches import build


def test_clean_rows_of_the_training_population_score_near_one(
    monitor_reference: MonitorReference, schema: FeatureSchema, test_rows: pd.DataFrame
) -> None:
    result = quality(monitor_reference, build(monitor_reference, schema, test_rows[:3000]))
    assert result.score > 0.97
    assert result.schema_changes == 0
    assert result.correlation_change is not None
    assert result.correlation_change < 0.1


@pytest.mark.parametrize("size", [45, 200, 1000])
def test_small_windows_of_clean_rows_do_not_look_like_bad_data(
    monitor_reference: MonitorReference,
    schema: FeatureSchema,
    test_rows: pd.DataFrame,
    size: int,
) -> None:
    """Sampling noise is not a quality problem: every window of the test set stays above the
    high alert's 80%, however small the window."""
    scores = [
        quality(monitor_reference, build(monitor_reference, schema, test_rows[i : i + size])).score
        for i in range(0, min(len(test_rows), 60 * size), size)
    ]
    assert min(scores) > 0.8


def test_rates_are_not_judged_on_a_window_too_small_to_measure_them(
    monitor_reference: MonitorReference, schema: FeatureSchema, test_rows: pd.DataFrame
) -> None:
    rows = test_rows[:5].copy()
    rows["occupation"] = None
    result = quality(monitor_reference, build(monitor_reference, schema, rows))
    assert result.missing_rate["occupation"] == 1.0  # reported ...
    assert result.score == 1.0  # ... but five rows are no evidence of bad data
    judged = quality(monitor_reference, build(monitor_reference, schema, rows), min_rows=5)
    assert judged.score < 0.1  # all missing, less the training rate (5.7%)


def test_refused_instances_count_fully_against_the_score(
    monitor_reference: MonitorReference, schema: FeatureSchema, test_rows: pd.DataFrame
) -> None:
    clean = build(monitor_reference, schema, test_rows[:900])
    refused = clean.model_copy(update={"rejected_rows": 100, "rejected": {"schema:years": 100}})
    result = quality(monitor_reference, refused)
    assert result.schema_changes == 100
    assert result.refused == {"schema": {"years": 100}}
    assert result.score == pytest.approx(0.9 * quality(monitor_reference, clean).score)


def test_nulls_above_the_training_rate_lower_the_score(
    monitor_reference: MonitorReference, schema: FeatureSchema, test_rows: pd.DataFrame
) -> None:
    rows = test_rows[:2000].copy()
    rows.loc[:999, "occupation"] = None
    result = quality(monitor_reference, build(monitor_reference, schema, rows))
    assert result.missing_rate["occupation"] > 0.5
    assert result.excess_missing["occupation"] > 0.4
    assert result.score < 0.6


def test_a_broken_correlation_is_seen(
    monitor_reference: MonitorReference, schema: FeatureSchema, test_rows: pd.DataFrame
) -> None:
    """education_num shuffled between rows (its marginal intact, its links to the other
    features gone) and capital gain made a copy of it: correlations nothing trained on."""
    rows = test_rows[:3000].copy()
    rows["education_num"] = rows["education_num"].sample(frac=1, random_state=1).to_numpy()
    rows["capital_gain"] = rows["education_num"] * 1000.0
    result = quality(monitor_reference, build(monitor_reference, schema, rows))
    assert result.correlation_change is not None
    assert result.correlation_change > 0.5


def test_an_empty_window_is_not_a_bad_one(monitor_reference: MonitorReference) -> None:
    sketch = Sketch.model_validate({
        "model": "m", "version": "1", "started": "2026-01-01T00:00:00Z",
        "ended": "2026-01-01T00:00:01Z", "rows": 0, "counts": {}, "scores": [],
    })  # fmt: skip
    assert quality(monitor_reference, sketch).score == 1.0
