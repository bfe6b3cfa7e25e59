"""Fetch a registered version's served file, refusing one that does not match its hash.

The same rule the microservice's loader keeps (`reference.microservice.loading`), here for
the platform: an evaluation that compares champion and challenger must compare the files
that serve, so each is checked against the `artifact_sha256` its registry version carries.
"""

import hmac
from pathlib import Path

import mlflow
from mlflow.exceptions import MlflowException

from readiness.errors import IntegrityFailed, RegistryUnavailable
from readiness.provenance import sha256_file
from reference.platform.registry import ModelRegistry

SHA_TAG = "artifact_sha256"
MODEL_FILE = "model.onnx"


def fetch_served_file(registry: ModelRegistry, name: str, version: str, destination: Path) -> Path:
    """Download version `version` of `name` under `destination` and verify its sha256."""
    found = registry.client.get_model_version(name, version)
    expected = found.tags.get(SHA_TAG)
    if not expected:
        raise IntegrityFailed(f"{name} version {version} has no {SHA_TAG} record")
    try:
        local = Path(
            mlflow.artifacts.download_artifacts(
                artifact_uri=found.source,
                dst_path=str(destination / name / version),
                tracking_uri=registry.tracking_uri,
            )
        )
    except MlflowException as error:
        raise RegistryUnavailable(f"cannot download {name} version {version}: {error}") from error
    path = local / MODEL_FILE
    if not path.is_file() or not hmac.compare_digest(sha256_file(path), expected):
        raise IntegrityFailed(
            f"{name} version {version}: {MODEL_FILE} does not match its registered sha256"
        )
    return path
