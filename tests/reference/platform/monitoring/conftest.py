"""Real Adult rows, encoded as the model sees them, and the reference fitted on the training
split (scored by a fixed logistic function, so no model needs training here)."""

import numpy as np
import numpy.typing as npt
import pandas as pd
import pytest

from reference.platform.model.dataset import AdultDataset
from reference.platform.model.schema import FeatureSchema
from reference.platform.monitoring.training_reference import MonitorReference, fit_reference

Encoded = tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]


def score(numeric: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
    """A stand-in model: older applicants with more education score higher."""
    age, education = numeric[:, 0].astype(np.float64), numeric[:, 2].astype(np.float64)
    return 1 / (1 + np.exp(-(0.05 * (age - 40) + 0.4 * (education - 10))))


@pytest.fixture(scope="session")
def schema(adult: AdultDataset) -> FeatureSchema:
    return adult.schema


@pytest.fixture(scope="session")
def training(adult: AdultDataset) -> Encoded:
    return adult.schema.encode(adult.train)


@pytest.fixture(scope="session")
def test_rows(adult: AdultDataset) -> pd.DataFrame:
    return adult.test.reset_index(drop=True)


@pytest.fixture(scope="session")
def monitor_reference(adult: AdultDataset, training: Encoded) -> MonitorReference:
    numeric, categorical = training
    return fit_reference(adult.schema, numeric, categorical, score(numeric))
