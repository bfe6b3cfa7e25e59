"""Monitor references by model version, from the registry: the `monitoring/reference.json`
artifact of the version's training run, checked against the sha256 recorded on the version
(the same integrity rule as the model itself)."""

import hmac
import json
import tempfile
import threading
from pathlib import Path
from typing import Protocol

import mlflow
from mlflow.exceptions import MlflowException

from readiness.errors import IntegrityFailed, RegistryUnavailable
from readiness.provenance import sha256_file
from reference.platform.model.registry import ModelRegistry
from reference.platform.monitoring.training_reference import MonitorReference

REFERENCE_ARTIFACT = "monitoring/reference.json"
REFERENCE_SHA_TAG = "monitor_reference_sha256"


class ReferenceSource(Protocol):
    def reference(self, model: str, version: str) -> MonitorReference | None: ...


class FixedReferences:
    """The same reference for every version (a test double, and a user's single model)."""

    def __init__(self, reference: MonitorReference) -> None:
        self._reference = reference

    def reference(self, model: str, version: str) -> MonitorReference | None:
        return self._reference


class RegistryReferences:
    """Downloads each version's reference once; None for a version trained without one."""

    def __init__(self, registry: ModelRegistry, destination: Path) -> None:
        self.registry, self.destination = registry, destination
        self._cache: dict[tuple[str, str], MonitorReference | None] = {}
        self._lock = threading.Lock()

    def reference(self, model: str, version: str) -> MonitorReference | None:
        key = (model, version)
        with self._lock:
            if key not in self._cache:
                self._cache[key] = self._fetch(model, version)
            return self._cache[key]

    def _fetch(self, model: str, version: str) -> MonitorReference | None:
        try:
            found = self.registry.client.get_model_version(model, version)
            expected = found.tags.get(REFERENCE_SHA_TAG)
            if not expected or not found.run_id:
                return None
            local = Path(mlflow.artifacts.download_artifacts(
                run_id=found.run_id, artifact_path=REFERENCE_ARTIFACT,
                dst_path=str(self.destination / model / version),
                tracking_uri=self.registry.tracking_uri,
            ))  # fmt: skip
        except MlflowException as error:
            raise RegistryUnavailable(
                f"cannot fetch the monitor reference of {model} version {version}: {error}"
            ) from error
        if not hmac.compare_digest(sha256_file(local), expected):
            raise IntegrityFailed(
                f"the monitor reference of {model} version {version} does not match its sha256"
            )
        return MonitorReference.model_validate(json.loads(local.read_text()))


def log_monitor_reference(reference: MonitorReference) -> str:
    """Log `reference` as an artifact of the active MLflow run; its sha256, to be recorded
    on the registered version (`REFERENCE_SHA_TAG`)."""
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / Path(REFERENCE_ARTIFACT).name
        path.write_text(reference.model_dump_json())
        mlflow.log_artifact(str(path), artifact_path=str(Path(REFERENCE_ARTIFACT).parent))
        return sha256_file(path)
