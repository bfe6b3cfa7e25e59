"""Fetch a served model from the MLflow registry, refusing any tampered artifact.

The registry record of a version carries `artifact_sha256`, the hash of the `model.onnx`
the lifecycle registered. Loading downloads the artifact, hashes the file it will serve
and compares: a mismatch or a missing record refuses to load, so a model that was changed
after approval can never answer a request, nor be judged or explained in its place (the
microservice, the retraining's offline comparison and the monitor's scheduled report all
fetch through here).
"""

import hmac
from dataclasses import dataclass
from pathlib import Path

import mlflow
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException

from readiness.errors import IntegrityFailed, InvalidInput, RegistryUnavailable
from readiness.provenance import sha256_file
from reference.platform.model.registry import SEMVER_TAG, ModelRegistry

SHA_TAG = "artifact_sha256"
MODEL_FILE = "model.onnx"


@dataclass(frozen=True)
class ServedArtifact:
    name: str
    version: str
    semver: str
    alias: str
    path: Path
    sha256: str


def fetch_by_alias(
    registry: ModelRegistry, name: str, alias: str, destination: Path
) -> ServedArtifact:
    """Download `name@alias` into `destination/<name>/<version>` and verify its sha256."""
    try:
        version = registry.client.get_model_version_by_alias(name, alias)
    except MlflowException as error:
        raise InvalidInput(f"the registry has no {name}@{alias}") from error
    return _verified(registry, version, alias, destination)


def fetch_version(
    registry: ModelRegistry, name: str, version: str, destination: Path
) -> ServedArtifact:
    """Download version `version` of `name` and verify its sha256."""
    try:
        found = registry.client.get_model_version(name, version)
    except MlflowException as error:
        raise InvalidInput(f"the registry has no {name} version {version}") from error
    return _verified(registry, found, "", destination)


def _verified(
    registry: ModelRegistry, version: ModelVersion, alias: str, destination: Path
) -> ServedArtifact:
    name = version.name
    expected = version.tags.get(SHA_TAG)
    if not expected:
        raise IntegrityFailed(
            f"{name} version {version.version} has no {SHA_TAG} record; refusing to load it"
        )
    folder = destination / name / str(version.version)
    try:
        local = Path(
            mlflow.artifacts.download_artifacts(
                artifact_uri=version.source,
                dst_path=str(folder),
                tracking_uri=registry.tracking_uri,
            )
        )
    except MlflowException as error:
        raise RegistryUnavailable(
            f"cannot download {name} version {version.version}: {error}"
        ) from error
    path = local / MODEL_FILE
    if not path.is_file():
        raise IntegrityFailed(f"{name} version {version.version} has no {MODEL_FILE}")
    actual = sha256_file(path)
    if not hmac.compare_digest(actual, expected):
        raise IntegrityFailed(
            f"{name} version {version.version}: {MODEL_FILE} has sha256 {actual[:16]}…, the "
            f"registry records {expected[:16]}…; refusing to load a tampered artifact"
        )
    return ServedArtifact(
        name=name, version=str(version.version), semver=version.tags.get(SEMVER_TAG, ""),
        alias=alias, path=path, sha256=actual,
    )  # fmt: skip
