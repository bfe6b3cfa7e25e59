from pathlib import Path

import mlflow
import onnx
import pytest
import torch

from readiness.errors import IntegrityFailed, InvalidInput
from readiness.provenance import sha256_file
from reference.platform.model.architectures import InputSpec, TabularNet
from reference.platform.model.artifacts import SHA_TAG, fetch_by_alias
from reference.platform.model.dataset import AdultDataset
from reference.platform.model.export import export_onnx
from reference.platform.model.registry import ModelRegistry

NAME = "tiny"


@pytest.fixture
def registered(adult: AdultDataset, tmp_path: Path) -> tuple[ModelRegistry, Path]:
    """A small real model logged and registered as `tiny@champion` in a fresh registry."""
    numeric, categorical = adult.schema.encode(adult.test.head(64))
    torch.manual_seed(0)
    net = TabularNet(InputSpec.fit(adult.schema, numeric), 2, (8,), 0.0).eval()
    path = export_onnx(net, tmp_path / "tiny.onnx", numeric, categorical)
    registry = ModelRegistry(f"sqlite:///{tmp_path / 'mlflow.db'}")
    mlflow.set_tracking_uri(registry.tracking_uri)
    experiment = registry.client.create_experiment(
        "tiny", artifact_location=(tmp_path / "artifacts").as_uri()
    )
    with mlflow.start_run(experiment_id=experiment):
        logged = mlflow.onnx.log_model(
            onnx.load(str(path)), name="served", pip_requirements=["onnxruntime"],
            save_as_external_data=False,
        )  # fmt: skip
    source = mlflow.get_logged_model(logged.model_id).artifact_location
    stored = Path(mlflow.artifacts.download_artifacts(source)) / "model.onnx"
    version = (
        registry.client.create_model_version(
            NAME, source, tags={SHA_TAG: sha256_file(stored)}, model_id=logged.model_id
        )
        if registry.client.create_registered_model(NAME)
        else None
    )
    assert version is not None
    registry.client.set_registered_model_alias(NAME, "champion", version.version)
    stored_in_registry = Path(source.removeprefix("file://")) / "model.onnx"
    return registry, stored_in_registry


def test_the_champion_loads_when_its_hash_matches_the_record(
    registered: tuple[ModelRegistry, Path], tmp_path: Path
) -> None:
    registry, _ = registered
    artifact = fetch_by_alias(registry, NAME, "champion", tmp_path / "cache")
    assert artifact.version == "1"
    assert artifact.path.is_file()
    assert artifact.sha256 == sha256_file(artifact.path)


def test_a_tampered_artifact_is_refused(
    registered: tuple[ModelRegistry, Path], tmp_path: Path
) -> None:
    registry, stored = registered
    with stored.open("ab") as handle:
        handle.write(b"\x00")
    with pytest.raises(IntegrityFailed, match="refusing to load a tampered artifact"):
        fetch_by_alias(registry, NAME, "champion", tmp_path / "cache")


def test_a_version_without_a_hash_record_is_refused(
    registered: tuple[ModelRegistry, Path], tmp_path: Path
) -> None:
    registry, _ = registered
    registry.client.delete_model_version_tag(NAME, "1", SHA_TAG)
    with pytest.raises(IntegrityFailed, match="has no artifact_sha256 record"):
        fetch_by_alias(registry, NAME, "champion", tmp_path / "cache")


def test_an_unknown_alias_is_bad_input(
    registered: tuple[ModelRegistry, Path], tmp_path: Path
) -> None:
    registry, _ = registered
    with pytest.raises(InvalidInput, match="the registry has no tiny@canary"):
        fetch_by_alias(registry, NAME, "canary", tmp_path / "cache")
