"""The global report: partial dependence and importance on a model double whose shape is known."""

from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest

from readiness.errors import InvalidFeatures, InvalidInput, OperationFailed
from reference.platform.explain.global_report import (
    GlobalReport,
    global_report,
    numeric_grid,
    write_report,
)
from reference.platform.model.dataset import AdultDataset
from reference.platform.model.schema import load_schema

SCHEMA = load_schema()
MODEL_INPUTS = [c.name for c in SCHEMA.model_inputs]
GRID_POINTS = 12


def monotone_predict(
    numeric: npt.NDArray[np.float32], categorical: npt.NDArray[np.int64]
) -> npt.NDArray[np.float32]:
    """Increasing in every numeric input (log scale) and in every category index."""
    score = np.log1p(np.maximum(numeric, 0)).sum(axis=1) * 0.2 + categorical.sum(axis=1) * 0.05
    probability: npt.NDArray[np.float32] = (1 / (1 + np.exp(-(score - 4)))).astype(np.float32)
    return probability


@pytest.fixture(scope="module")
def frame(adult: AdultDataset) -> pd.DataFrame:
    return adult.test.sample(300, random_state=1)


@pytest.fixture(scope="module")
def report(frame: pd.DataFrame, adult: AdultDataset) -> GlobalReport:
    return global_report(
        monotone_predict,
        SCHEMA,
        frame,
        model="monotone-double",
        grid_from=adult.train,
        grid_points=GRID_POINTS,
        dependence_rows=200,
        importance_rows=20,
        importance_background=20,
    )


def test_partial_dependence_of_a_monotone_model_is_monotone(report: GlobalReport) -> None:
    for dependence in report.partial_dependence.values():
        steps = np.diff(dependence.mean_prediction)
        assert (steps >= -1e-6).all(), dependence.feature
        assert steps.sum() > 0, dependence.feature


def test_there_is_one_partial_dependence_per_model_input_in_schema_order(
    report: GlobalReport,
) -> None:
    assert list(report.partial_dependence) == MODEL_INPUTS
    assert set(SCHEMA.sensitive).isdisjoint(report.partial_dependence)


def test_importance_keys_are_the_model_inputs(report: GlobalReport) -> None:
    assert set(report.importance.importance) == set(MODEL_INPUTS)
    assert all(value >= 0 for value in report.importance.importance.values())


def test_numeric_grids_are_training_quantiles_and_categorical_grids_every_category(
    report: GlobalReport, adult: AdultDataset
) -> None:
    for column in SCHEMA.numeric_inputs:
        grid = [float(value) for value in report.partial_dependence[column.name].grid]
        training = adult.train[column.name]
        assert grid == sorted(set(grid))
        assert (grid[0], grid[-1]) == (training.min(), training.max())
        assert len(grid) <= GRID_POINTS
    for column in SCHEMA.categorical_inputs:
        assert report.partial_dependence[column.name].grid == list(column.categories)


def test_a_partial_dependence_value_is_the_mean_prediction_with_the_feature_set(
    report: GlobalReport, frame: pd.DataFrame
) -> None:
    """Recomputed here for one value, on every row of the frame's sample."""
    dependence = report.partial_dependence["hours_per_week"]
    sample = frame.iloc[np.sort(np.random.default_rng(7).choice(len(frame), 200, replace=False))]
    numeric, categorical = SCHEMA.encode(sample.assign(hours_per_week=dependence.grid[3]))
    expected = float(monotone_predict(numeric, categorical).mean())
    assert dependence.mean_prediction[3] == pytest.approx(expected, rel=1e-5)


def test_the_report_says_when_and_on_how_many_rows_it_was_computed(
    report: GlobalReport,
) -> None:
    assert report.rows == 300
    assert report.dependence_rows == 200
    assert report.importance.explained_rows == 20
    assert report.computed_at.tzinfo is not None
    assert report.seconds > 0
    assert report.schema_digest == SCHEMA.digest()
    assert report.model == "monotone-double"


def test_the_written_json_validates_back_into_the_same_report(
    report: GlobalReport, tmp_path: Path
) -> None:
    written = write_report(report, tmp_path / "reports")
    assert written.json_path.parent == tmp_path / "reports"
    assert GlobalReport.model_validate_json(written.json_path.read_text()) == report


def test_the_html_names_every_feature_and_fetches_nothing(
    report: GlobalReport, tmp_path: Path
) -> None:
    page = write_report(report, tmp_path).html_path.read_text()
    for name in MODEL_INPUTS:
        assert f"<td>{name}</td>" in page
    assert page.count("<svg") == 2 * len(MODEL_INPUTS)  # an importance bar and a sparkline
    for reference in ("http://", "https://", "<script", "<link", "src="):
        assert reference not in page


def test_an_unwritable_folder_is_an_operation_failure(report: GlobalReport, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(OperationFailed, match=r"cannot write the global report to .*a-file"):
        write_report(report, blocker)


def test_an_empty_frame_is_refused(frame: pd.DataFrame) -> None:
    with pytest.raises(InvalidInput, match=r"^a global report needs at least one row$"):
        global_report(monotone_predict, SCHEMA, frame.iloc[:0])


def test_a_frame_that_breaks_the_schema_is_refused(frame: pd.DataFrame) -> None:
    with pytest.raises(InvalidFeatures, match="missing column 'age'"):
        global_report(monotone_predict, SCHEMA, frame.drop(columns="age"))


def test_a_grid_of_one_point_is_refused(frame: pd.DataFrame) -> None:
    with pytest.raises(InvalidInput, match=r"^grid_points must be at least 2, got 1$"):
        global_report(monotone_predict, SCHEMA, frame, grid_points=1)


def test_a_numeric_grid_keeps_each_quantile_once() -> None:
    values = pd.Series([0.0] * 90 + list(range(1, 11)), name="capital_gain")
    grid = numeric_grid(values, 5)
    assert grid.tolist() == [0.0, 10.0]
