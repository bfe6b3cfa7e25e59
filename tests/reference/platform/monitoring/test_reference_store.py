import json
from pathlib import Path

import pytest

from readiness.errors import IntegrityFailed, RegistryUnavailable
from readiness.home import Home
from reference.platform.model.lifecycle import TrainingSummary
from reference.platform.model.registry import ModelRegistry
from reference.platform.model.served import SERVED_MODEL
from reference.platform.monitoring.reference_store import (
    REFERENCE_ARTIFACT,
    REFERENCE_SHA_TAG,
    RegistryReferences,
)


def test_a_trained_version_carries_its_monitor_reference(
    trained: tuple[Home, TrainingSummary], tmp_path: Path
) -> None:
    home, summary = trained
    references = RegistryReferences(ModelRegistry(home.mlflow_tracking_uri), tmp_path)
    reference = references.reference(SERVED_MODEL, summary.registry.registered_version)
    assert reference is not None
    assert {b.feature for b in reference.numeric} >= {"age", "hours_per_week"}
    assert sum(reference.score_expected) == pytest.approx(1.0)
    assert reference.rows == summary.training_rows


def test_a_tampered_reference_is_refused(
    trained: tuple[Home, TrainingSummary], tmp_path: Path
) -> None:
    home, summary = trained
    registry = ModelRegistry(home.mlflow_tracking_uri)
    version = summary.registry.registered_version
    found = registry.client.get_model_version(SERVED_MODEL, version)
    assert found.run_id
    artifact = registry.client.download_artifacts(found.run_id, REFERENCE_ARTIFACT, str(tmp_path))
    assert json.loads(Path(artifact).read_text())["rows"] > 0
    original = found.tags[REFERENCE_SHA_TAG]
    registry.client.set_model_version_tag(SERVED_MODEL, version, REFERENCE_SHA_TAG, "0" * 64)
    try:
        with pytest.raises(IntegrityFailed, match="does not match its sha256"):
            RegistryReferences(registry, tmp_path / "fresh").reference(SERVED_MODEL, version)
    finally:
        registry.client.set_model_version_tag(SERVED_MODEL, version, REFERENCE_SHA_TAG, original)


def test_a_model_the_registry_does_not_have_is_an_error_not_a_silent_gap(
    trained: tuple[Home, TrainingSummary], tmp_path: Path
) -> None:
    home, _ = trained
    references = RegistryReferences(ModelRegistry(home.mlflow_tracking_uri), tmp_path)
    with pytest.raises(RegistryUnavailable, match="no-such-model version 1"):
        references.reference("no-such-model", "1")
