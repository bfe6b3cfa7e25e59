"""The degraded copy a bad rollout promotes: the champion with its probability inverted,
answering through the same interface, so only the monitors' quality alert can tell."""

from pathlib import Path

import numpy as np
import pytest

from readiness.home import Home
from reference.microservice.degraded import invert_probability
from reference.platform.model.dataset import AdultDataset
from reference.platform.model.evaluation import DECISION_THRESHOLD
from reference.platform.model.lifecycle import TrainingSummary
from reference.platform.model.runtime import OnnxModel
from reference.platform.model.served import SERVED_VARIANT

MONITOR_ACCURACY_FLOOR = 0.75
"""The monitors' critical alert fires below this accuracy on labelled feedback."""


def accuracy(model: OnnxModel, adult: AdultDataset) -> float:
    numeric, categorical = adult.schema.encode(adult.test)
    labels = adult.test[adult.schema.label.name].to_numpy()
    decisions = model.predict(numeric, categorical) >= DECISION_THRESHOLD
    return float(np.mean(decisions == labels))


def test_the_degraded_model_answers_one_minus_p_through_the_same_interface(
    trained: tuple[Home, TrainingSummary], adult: AdultDataset, tmp_path: Path
) -> None:
    (source,) = trained[0].models.glob(f"train-*/{SERVED_VARIANT}.onnx")
    good = OnnxModel(source)
    bad = OnnxModel(invert_probability(source, tmp_path / "degraded.onnx"))

    def interface(model: OnnxModel) -> list[tuple[str, str, list[object]]]:
        ends = [*model.session.get_inputs(), *model.session.get_outputs()]
        return [(end.name, end.type, list(end.shape)) for end in ends]

    assert interface(bad) == interface(good)
    numeric, categorical = adult.schema.encode(adult.test[:200])
    inverted = bad.predict(numeric, categorical)
    assert inverted == pytest.approx(1 - good.predict(numeric, categorical), abs=1e-6)
    assert accuracy(good, adult) > MONITOR_ACCURACY_FLOOR > accuracy(bad, adult)
