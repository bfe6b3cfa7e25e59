"""Local SHAP attributions, on a linear double with known Shapley values and on the served model."""

import numpy as np
import numpy.typing as npt
import pytest

from readiness.errors import InvalidFeatures, InvalidInput
from readiness.home import Home
from reference.platform.explain.attributions import (
    BACKGROUND_ROWS,
    Attribution,
    LocalExplainer,
    background_sample,
)
from reference.platform.model.dataset import AdultDataset
from reference.platform.model.lifecycle import TrainingSummary
from reference.platform.model.runtime import OnnxModel
from reference.platform.model.schema import load_schema

Trained = tuple[Home, TrainingSummary]
Rows = tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]
SCHEMA = load_schema()
N_NUMERIC, N_CATEGORICAL = len(SCHEMA.numeric_inputs), len(SCHEMA.categorical_inputs)
NUMERIC_WEIGHTS = np.linspace(-0.3, 0.3, N_NUMERIC, dtype=np.float32)
CATEGORICAL_WEIGHTS = np.linspace(0.05, -0.05, N_CATEGORICAL, dtype=np.float32)
LOCAL_ACCURACY = 1e-4


def linear_predict(
    numeric: npt.NDArray[np.float32], categorical: npt.NDArray[np.int64]
) -> npt.NDArray[np.float32]:
    """A model whose Shapley values are known: w_i * (x_i - mean of x_i over the background)."""
    score = numeric @ NUMERIC_WEIGHTS + categorical.astype(np.float32) @ CATEGORICAL_WEIGHTS
    return score.astype(np.float32)


def synthetic_rows(count: int, seed: int) -> Rows:
    generator = np.random.default_rng(seed)
    numeric = generator.uniform(0, 1, (count, N_NUMERIC)).astype(np.float32)
    categorical = generator.integers(0, 6, (count, N_CATEGORICAL)).astype(np.int64)
    return numeric, categorical


def sums_to_output(attribution: Attribution) -> float:
    """|base + sum of attributions - output|: zero when local accuracy holds."""
    total = attribution.base_value + sum(attribution.attributions.values())
    return abs(total - attribution.output)


@pytest.fixture(scope="module")
def served(trained: Trained) -> OnnxModel:
    home, _ = trained
    (path,) = home.models.glob("train-*/student_int8.onnx")
    return OnnxModel(path, threads=1)


@pytest.fixture(scope="module")
def explainer(served: OnnxModel, adult: AdultDataset) -> LocalExplainer:
    background = background_sample(adult.schema, data=adult)
    return LocalExplainer(served.predict, adult.schema, *background)


@pytest.fixture(scope="module")
def test_rows(adult: AdultDataset) -> Rows:
    numeric, categorical = adult.schema.encode(adult.test)
    chosen = np.random.default_rng(3).choice(len(numeric), size=25, replace=False)
    return numeric[chosen], categorical[chosen]


def test_a_linear_model_gets_its_exact_shapley_values() -> None:
    background = synthetic_rows(30, seed=1)
    numeric, categorical = synthetic_rows(5, seed=2)
    explained = LocalExplainer(linear_predict, SCHEMA, *background).explain(numeric, categorical)
    weights = np.concatenate([NUMERIC_WEIGHTS, CATEGORICAL_WEIGHTS])
    rows = np.hstack([numeric, categorical]).astype(np.float64)
    expected = weights * (rows - np.hstack(background).astype(np.float64).mean(axis=0))
    values = np.array([list(a.attributions.values()) for a in explained])
    np.testing.assert_allclose(values, expected, atol=1e-5)


def test_local_attributions_sum_to_the_output_minus_the_base_value(
    explainer: LocalExplainer, test_rows: Rows
) -> None:
    explained = explainer.explain(*test_rows)
    assert len(explained) == len(test_rows[0])
    assert max(sums_to_output(a) for a in explained) < LOCAL_ACCURACY


def test_the_output_is_the_models_prediction_and_the_base_value_its_mean_over_the_background(
    explainer: LocalExplainer, served: OnnxModel, adult: AdultDataset, test_rows: Rows
) -> None:
    explained = explainer.explain(*test_rows)
    predicted = served.predict(*test_rows)
    assert [a.output for a in explained] == pytest.approx(predicted.tolist(), abs=1e-6)
    background = background_sample(adult.schema, data=adult)
    expected_base = float(served.predict(*background).mean())
    assert {round(a.base_value, 6) for a in explained} == {round(expected_base, 6)}


def test_there_is_one_attribution_per_model_input_in_schema_order(
    explainer: LocalExplainer, test_rows: Rows
) -> None:
    (attribution,) = explainer.explain(test_rows[0][:1], test_rows[1][:1])
    assert list(attribution.attributions) == [c.name for c in SCHEMA.model_inputs]
    assert len(attribution.attributions) == 12
    assert any(value != 0 for value in attribution.attributions.values())


def test_sensitive_columns_never_appear_among_the_attributions(
    explainer: LocalExplainer, test_rows: Rows
) -> None:
    assert set(SCHEMA.sensitive) == {"sex", "race"}
    excluded = {*SCHEMA.sensitive, *SCHEMA.pii, SCHEMA.entity}
    for attribution in explainer.explain(*test_rows):
        assert excluded.isdisjoint(attribution.attributions)


def test_a_row_gets_the_same_attributions_alone_in_a_batch_and_on_every_call(
    explainer: LocalExplainer, test_rows: Rows
) -> None:
    batch = explainer.explain(*test_rows)
    alone = [explainer.explain(test_rows[0][i : i + 1], test_rows[1][i : i + 1])[0] for i in (0, 7)]
    assert alone == [batch[0], batch[7]]
    assert explainer.explain(*test_rows) == batch


def test_explaining_leaves_numpys_global_random_state_as_it_was(
    explainer: LocalExplainer, test_rows: Rows
) -> None:
    np.random.seed(123)
    expected = np.random.random()
    np.random.seed(123)
    explainer.explain(*test_rows)
    LocalExplainer(linear_predict, SCHEMA, *synthetic_rows(10, seed=1), seed=99)
    assert np.random.random() == expected


def test_the_background_sample_is_deterministic_for_the_same_seed(adult: AdultDataset) -> None:
    first = background_sample(adult.schema, seed=11, data=adult)
    again = background_sample(adult.schema, seed=11, data=adult)
    other = background_sample(adult.schema, seed=12, data=adult)
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])
    assert not np.array_equal(first[0], other[0])


def test_the_background_sample_is_encoded_training_rows_of_the_requested_size(
    adult: AdultDataset,
) -> None:
    numeric, categorical = background_sample(adult.schema, data=adult)
    assert numeric.shape == (BACKGROUND_ROWS, N_NUMERIC)
    assert categorical.shape == (BACKGROUND_ROWS, N_CATEGORICAL)
    assert numeric.dtype == np.float32
    assert categorical.dtype == np.int64
    train_numeric, _ = adult.schema.encode(adult.train)
    training_rows = {row.tobytes() for row in train_numeric}
    assert all(row.tobytes() in training_rows for row in numeric)


@pytest.mark.parametrize(
    ("numeric_shape", "categorical_shape"),
    [
        pytest.param((1, 5), (1, 6), id="a-numeric-column-short"),
        pytest.param((2, 6), (3, 6), id="row-counts-differ"),
        pytest.param((6,), (6,), id="one-dimensional"),
    ],
)
def test_rows_that_do_not_fit_the_schema_are_refused_with_their_shapes(
    numeric_shape: tuple[int, ...], categorical_shape: tuple[int, ...]
) -> None:
    explainer = LocalExplainer(linear_predict, SCHEMA, *synthetic_rows(10, seed=1))
    numeric = np.zeros(numeric_shape, dtype=np.float32)
    categorical = np.zeros(categorical_shape, dtype=np.int64)
    with pytest.raises(InvalidFeatures) as raised:
        explainer.explain(numeric, categorical)
    assert str(raised.value) == (
        "rows must be numeric (n, 6) and categorical (n, 6) with the same n, "
        f"got {numeric_shape} and {categorical_shape}"
    )


def test_an_empty_background_is_refused() -> None:
    numeric, categorical = synthetic_rows(0, seed=1)
    with pytest.raises(InvalidFeatures, match=r"^background holds no rows$"):
        LocalExplainer(linear_predict, SCHEMA, numeric, categorical)


def test_a_background_larger_than_the_training_split_is_refused(adult: AdultDataset) -> None:
    rows = len(adult.train)
    with pytest.raises(InvalidInput) as raised:
        background_sample(adult.schema, rows=rows + 1, data=adult)
    assert str(raised.value) == f"background rows must be between 1 and {rows}, got {rows + 1}"
