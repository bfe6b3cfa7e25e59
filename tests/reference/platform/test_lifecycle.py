"""The quick training run, checked through what a user sees: its JSON, MLflow and files."""

import json
from pathlib import Path

import mlflow
import pytest
from mlflow import MlflowClient

from readiness.home import Home
from readiness.provenance import sha256_file
from reference.platform.lifecycle import EXPERIMENT, SERVED_MODEL, TrainingSummary
from reference.platform.registry import CHALLENGER, ModelRegistry

Trained = tuple[Home, TrainingSummary]


def test_every_variant_is_measured(trained: Trained) -> None:
    _, summary = trained
    for variant in (
        summary.teacher,
        summary.student,
        summary.student_int8,
        summary.student_int8_dynamic,
    ):
        assert 0.75 < variant.accuracy < 1
        assert 0.8 < variant.auc < 1
        assert variant.throughput_b256 > 0
        assert variant.p50_us_b1 > 0
    assert summary.teacher.macs > 10 * summary.student.macs
    assert summary.cost_ratio == pytest.approx(
        summary.student_int8.throughput_b256 / summary.teacher.throughput_b256
    )


def test_the_student_keeps_the_teachers_quality_and_int8_keeps_the_students(
    trained: Trained,
) -> None:
    _, summary = trained
    assert summary.retention.accuracy >= 0.95
    assert summary.retention.auc >= 0.95
    assert abs(summary.student_int8.accuracy - summary.student.accuracy) <= 0.01


def test_fairness_is_reported_for_every_variant_by_sex_and_race(trained: Trained) -> None:
    _, summary = trained
    assert set(summary.fairness) == {"teacher", "student", "student_int8", "student_int8_dynamic"}
    features = [a.feature for a in summary.fairness["student_int8"].attributes]
    assert features == ["sex", "race"]


def test_global_importance_covers_every_model_input(trained: Trained) -> None:
    _, summary = trained
    assert len(summary.importance.importance) == 12
    assert max(summary.importance.importance.values()) > 0


def test_the_run_records_lineage_params_metrics_and_artifacts(trained: Trained) -> None:
    home, summary = trained
    client = MlflowClient(home.mlflow_tracking_uri)
    run = client.get_run(summary.run_id)
    assert run.data.tags["dataset_digest"] == summary.dataset_digest
    assert run.data.tags["code_version"] == summary.code_version
    assert run.data.params["teacher.hidden"] == "[1024, 512, 256]"
    assert run.data.metrics["student_int8.accuracy"] == pytest.approx(summary.student_int8.accuracy)
    experiment = client.get_experiment_by_name(EXPERIMENT)
    assert experiment is not None
    assert experiment.artifact_location.startswith(home.mlflow_artifacts.as_uri())
    reports = {a.path for a in client.list_artifacts(summary.run_id, "reports")}
    assert reports == {"reports/fairness.json", "reports/importance.json"}
    onnx_files = {a.path for a in client.list_artifacts(summary.run_id, "onnx")}
    assert "onnx/student_int8.onnx" in onnx_files


def test_the_registered_version_carries_the_hash_of_the_artifact_it_serves(
    trained: Trained, tmp_path: Path
) -> None:
    home, summary = trained
    registry = ModelRegistry(home.mlflow_tracking_uri)
    version = registry.client.get_model_version(SERVED_MODEL, summary.registry.registered_version)
    mlflow.set_tracking_uri(home.mlflow_tracking_uri)
    local = Path(
        mlflow.artifacts.download_artifacts(
            f"models:/{SERVED_MODEL}/{version.version}", dst_path=str(tmp_path)
        )
    )
    assert sha256_file(local / "model.onnx") == version.tags["artifact_sha256"]
    assert (
        json.loads(version.tags["fairness.violations"])
        == summary.fairness["student_int8"].violations
    )


def test_approval_follows_the_fairness_verdict(trained: Trained) -> None:
    home, summary = trained
    registry = ModelRegistry(home.mlflow_tracking_uri)
    described = registry.describe(SERVED_MODEL, summary.registry.registered_version)
    if summary.fairness["student_int8"].violations:
        assert not summary.registry.approved
        assert summary.registry.refusal is not None
        assert summary.fairness["student_int8"].violations[0] in summary.registry.refusal
        assert described.approval is None
        assert described.aliases == [CHALLENGER]
    else:
        assert summary.registry.champion_version == described.version
        assert described.approval is not None
