import numpy as np
import pandas as pd
import pytest
from evidently.legacy.calculations.stattests import psi_stat_test
from evidently.legacy.core import ColumnType

from reference.platform.model.schema import FeatureSchema
from reference.platform.monitoring.drift import drift, kl_divergence, psi
from reference.platform.monitoring.sketch import SketchBuilder
from reference.platform.monitoring.training_reference import (
    MonitorReference,
    categorical_bin_counts,
    numeric_bin_counts,
)
from tests.reference.platform.monitoring.sketches import Encoded, score


def sketch_of(reference: MonitorReference, rows: pd.DataFrame, schema: FeatureSchema):  # type: ignore[no-untyped-def]
    numeric, categorical = schema.encode(rows)
    builder = SketchBuilder(reference, "m")
    builder.add("1", numeric, categorical, score(numeric))
    return builder.build()[0]


def test_held_out_rows_of_the_same_population_show_no_drift(
    monitor_reference: MonitorReference, test_rows: pd.DataFrame, schema: FeatureSchema
) -> None:
    result = drift(monitor_reference, sketch_of(monitor_reference, test_rows[:5000], schema))
    assert result.psi_max < 0.02
    assert result.output_kl < 0.01


def test_older_applicants_drift_in_age_and_nowhere_else(
    monitor_reference: MonitorReference, test_rows: pd.DataFrame, schema: FeatureSchema
) -> None:
    shifted = test_rows[:5000].assign(age=lambda f: (f.age + 12).clip(upper=100))
    result = drift(monitor_reference, sketch_of(monitor_reference, shifted, schema))
    assert result.above(0.25) == ["age"]
    assert result.output_kl > 0.05  # the stand-in model scores older applicants higher


def test_psi_of_identical_shares_is_zero_and_grows_with_the_shift() -> None:
    base = [0.25, 0.25, 0.25, 0.25]
    assert psi(base, base) == 0.0
    assert 0 < psi(base, [0.3, 0.2, 0.25, 0.25]) < psi(base, [0.6, 0.1, 0.2, 0.1])


def test_an_empty_bin_is_floored_rather_than_infinite() -> None:
    assert np.isfinite(psi([0.5, 0.5, 0.0], [0.3, 0.3, 0.4]))
    assert np.isfinite(kl_divergence([0.5, 0.5, 0.0], [0.3, 0.3, 0.4]))


@pytest.mark.parametrize("shift", [0, 3, 12])
def test_our_psi_agrees_with_evidently_on_numeric_bins_cut_alike(
    training: Encoded, test_rows: pd.DataFrame, shift: int
) -> None:
    """Evidently cuts Sturges bins over both samples; given those cuts, the values agree."""
    reference = pd.Series(training[0][:, 0].astype(np.float64))
    current = (test_rows.age[:3000] + shift).astype(np.float64)
    cuts = np.histogram_bin_edges(pd.concat([reference, current]).to_numpy(), bins="sturges")
    ours = psi(numeric_bin_counts(reference.to_numpy(), cuts[1:-1])[:-1],
               numeric_bin_counts(current.to_numpy(), cuts[1:-1])[:-1])  # fmt: skip
    theirs = psi_stat_test(reference, current, ColumnType.Numerical, 0.1).drift_score
    assert ours == pytest.approx(theirs, abs=1e-6)


def test_our_psi_agrees_with_evidently_on_categories(
    schema: FeatureSchema, training: Encoded, test_rows: pd.DataFrame
) -> None:
    column = schema.column("education")
    position = [c.name for c in schema.categorical_inputs].index("education")
    reference_codes = training[1][:, position]
    current = test_rows.education[:3000].replace({"Bachelors": "Masters"})
    current_codes = schema.encode(test_rows[:3000].assign(education=current))[1][:, position]
    ours = psi(categorical_bin_counts(reference_codes, len(column.categories)),
               categorical_bin_counts(current_codes, len(column.categories)))  # fmt: skip
    names = pd.Series(np.asarray(column.categories)[reference_codes - 1])
    theirs = psi_stat_test(names, current.reset_index(drop=True), ColumnType.Categorical, 0.1)
    assert ours == pytest.approx(theirs.drift_score, abs=1e-6)
    assert ours > 0.1


def test_fixed_training_bins_see_a_shift_that_moving_bins_dilute(
    training: Encoded, test_rows: pd.DataFrame
) -> None:
    """Why our bins differ from Evidently's: Sturges bins are equal-width over the range of
    both samples, so one far outlier in the window widens every bin and hides a shift among
    typical values, while training deciles keep their resolution."""
    from reference.platform.monitoring.training_reference import numeric_edges

    reference = training[0][:, 0].astype(np.float64)
    current = np.append((test_rows.age[:3000] + 4).to_numpy(np.float64), [1e6])
    edges = numeric_edges(reference)
    fixed = psi(numeric_bin_counts(reference, edges), numeric_bin_counts(current, edges))
    moving = psi_stat_test(pd.Series(reference), pd.Series(current), ColumnType.Numerical, 0.1)
    assert fixed > 0.1 > moving.drift_score
