"""The `bad-rollout` fault hook and its undo `restore`, on the running production service.

A degraded copy of the champion (its probability inverted) is registered, approved and
promoted like any release, so the monitors' critical alert has something to roll back;
`restore` rolls back only such a version. The home is a fork of the session's trained home
with approved versions 2 and 3 and a tampered version 4 (see `test_operations`), so
version 2 serves and the degraded copy becomes version 5.
"""

from pathlib import Path

import numpy as np
import pytest

from readiness.home import Home
from reference.microservice.degraded import DEGRADED_TAG, invert_probability
from reference.platform.model.dataset import AdultDataset
from reference.platform.model.evaluation import DECISION_THRESHOLD
from reference.platform.model.lifecycle import TrainingSummary
from reference.platform.model.registry import ModelRegistry
from reference.platform.model.runtime import OnnxModel
from reference.platform.model.served import SERVED_MODEL, SERVED_VARIANT
from tests.reference.microservice.running import ROW, Api

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


def test_the_descriptor_undoes_a_bad_rollout_with_restore(api: Api) -> None:
    hooks = {hook.name: hook for hook in api.descriptor.fault_hooks}
    assert (hooks["bad-rollout"].payload, hooks["bad-rollout"].undo) == (
        {"fault": "bad_rollout"}, "restore",
    )  # fmt: skip
    assert (hooks["restore"].payload, hooks["restore"].undo) == ({"fault": "restore"}, None)
    assert hooks["slow-replica"].undo == "clear"


def test_a_bad_rollout_promotes_an_approved_degraded_version_that_inverts_predictions(
    api: Api, operated_home: Home
) -> None:
    before = api.predict(ROW).json()["predictions"][0]
    assert before["version"] == "2"
    rolled_out = api.fault("bad-rollout")
    assert rolled_out.status_code == 200, rolled_out.text
    assert rolled_out.json() == {
        "done": f"promoted version 5 of {SERVED_MODEL}, a degraded copy of version 2 "
        "(probability inverted)",
        "version": "5",
    }
    after = api.predict(ROW).json()["predictions"][0]
    assert after["version"] == "5"
    assert after["probability"] == pytest.approx(1 - before["probability"], abs=1e-5)
    registry = ModelRegistry(f"sqlite:///{operated_home.mlflow_db}")
    degraded = registry.describe(SERVED_MODEL, "5")
    assert degraded.aliases == ["champion"]
    assert degraded.approval is not None
    assert degraded.approval.approved_by == "ops"
    assert "deliberate fault injection" in degraded.approval.reason
    tags = registry.client.get_model_version(SERVED_MODEL, "5").tags
    assert tags[DEGRADED_TAG] == "bad_rollout of version 2: probability inverted (1 - p)"
    log = api.admin_call("GET", "deployments").json()
    assert [(e["action"], e["from_version"], e["to_version"]) for e in log[:2]] == [
        ("fault", None, "5"), ("promote", "2", "5"),
    ]  # fmt: skip


def test_a_second_bad_rollout_is_refused_while_one_serves(api: Api) -> None:
    refused = api.fault("bad-rollout")
    assert refused.status_code == 409
    assert refused.json() == {
        "detail": f"champion version 5 of {SERVED_MODEL} is already degraded; restore it first"
    }
    assert api.served_version() == "5"


def test_restore_brings_back_the_previous_champion_and_then_does_nothing(api: Api) -> None:
    restored = api.fault("restore")
    assert restored.status_code == 200, restored.text
    assert restored.json() == {
        "done": f"rolled back degraded version 5 of {SERVED_MODEL} to version 2",
        "version": "2",
    }
    assert api.served_version() == "2"
    again = api.fault("restore")
    assert again.status_code == 200, again.text
    assert again.json() == {
        "done": f"nothing to restore: champion version 2 of {SERVED_MODEL} is not degraded",
        "version": "2",
    }
    assert api.served_version() == "2"
