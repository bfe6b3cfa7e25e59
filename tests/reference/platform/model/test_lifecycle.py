"""The quick training run, checked through what a user sees: its JSON, MLflow and files."""

import json
from pathlib import Path

import mlflow
import pytest
from mlflow import MlflowClient
from typer.testing import CliRunner

from readiness.audit.verify import verify
from readiness.cli import app
from readiness.home import HOME_VARIABLE, Home
from readiness.provenance import sha256_file
from reference.platform.audit.lineage import lineage_of
from reference.platform.model.lifecycle import EXPERIMENT, TrainingSummary
from reference.platform.model.registry import CHALLENGER, ModelRegistry
from reference.platform.model.served import SERVED_MODEL

Trained = tuple[Home, TrainingSummary]
runner = CliRunner()


def test_training_writes_nothing_outside_its_home(trained: Trained, train_workdir: Path) -> None:
    home, _ = trained
    assert sorted(p.name for p in train_workdir.iterdir()) == []
    assert (home.feature_repo / "applicant_features.parquet").is_file()


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
    client = MlflowClient(home.mlflow_tracking_uri, registry_uri=home.mlflow_tracking_uri)
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


def test_the_registered_version_has_its_lineage_chained_in_the_audit_store(
    trained: Trained,
) -> None:
    home, summary = trained
    version = summary.registry.registered_version
    (lineage,) = lineage_of(home.audit_url, SERVED_MODEL, version)
    registered = ModelRegistry(home.mlflow_tracking_uri).client.get_model_version(
        SERVED_MODEL, version
    )
    assert (lineage.run_id, lineage.code_version, lineage.training_data_digest) == (
        summary.run_id, summary.code_version, summary.dataset_digest
    )  # fmt: skip
    assert lineage.artifact_sha256 == registered.tags["artifact_sha256"]
    assert lineage.hyperparameters["seed"] == 7
    assert verify(home.audit_url).ok


def test_the_whitepaper_policy_refuses_the_model_and_says_why(trained: Trained) -> None:
    """Demographic parity by sex is far below four-fifths on Adult (0.43-0.52 measured)."""
    home, summary = trained
    violations = summary.fairness["student_int8"].violations
    assert any(v.startswith("demographic parity ratio by sex") for v in violations)
    assert not summary.registry.approved
    assert summary.registry.refusal is not None
    assert violations[0] in summary.registry.refusal
    assert summary.registry.champion_version is None
    described = ModelRegistry(home.mlflow_tracking_uri).describe(
        SERVED_MODEL, summary.registry.registered_version
    )
    assert described.approval is None
    assert described.aliases == [CHALLENGER]


def test_a_person_cannot_approve_or_promote_the_refused_version_either(trained: Trained) -> None:
    home, summary = trained
    version = summary.registry.registered_version
    environment = {HOME_VARIABLE: str(home.root)}
    approval = runner.invoke(
        app, ["approve", SERVED_MODEL, version, "--by", "ana", "--reason", "I like it"],
        env=environment,
    )  # fmt: skip
    assert approval.exit_code == 1
    assert "fails its fairness policy: demographic parity ratio by sex" in approval.output
    promotion = runner.invoke(app, ["promote", SERVED_MODEL, version], env=environment)
    assert promotion.exit_code == 1
    assert "has no approval record" in promotion.output
    assert ModelRegistry(home.mlflow_tracking_uri).champion(SERVED_MODEL) is None
