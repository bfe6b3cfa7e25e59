"""Real Adult rows, encoded as the model sees them, and the reference fitted on the training
split (scored by a fixed logistic function, so no model needs training here)."""

import pandas as pd
import pytest

from reference.platform.model.dataset import AdultDataset
from reference.platform.model.schema import FeatureSchema
from reference.platform.monitoring.training_reference import MonitorReference, fit_reference
from tests.reference.platform.monitoring.sketches import Encoded, score


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
