"""The MLflow model registry, with semantic versions and an approval gate on `champion`.

Rules kept here rather than in MLflow, because MLflow does not know them:
- every registered version carries a semantic version (`semver` tag): the major part moves
  when the feature schema (the model's interface) changes, the minor part on every retrain;
- a version carries the fairness verdict it was registered with; one that broke its
  fairness policy cannot be approved, and the refusal repeats the broken rules;
- `champion` may point only at a version with an approval record (who, when, why); the
  champion it replaces keeps the alias `previous`, so that a rollback has somewhere to go.
Every check happens before the first write, so a refused action leaves the registry as it was.
"""

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

from mlflow import MlflowClient
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException
from pydantic import BaseModel

from readiness.errors import (
    ApprovalRefused,
    InvalidApproval,
    InvalidInput,
    PromotionRefused,
    ReadinessError,
    RegistryUnavailable,
)

CHAMPION = "champion"
CHALLENGER = "challenger"
PREVIOUS = "previous"
SEMVER_TAG = "semver"
SCHEMA_TAG = "schema_digest"
FAIRNESS_TAG = "fairness.violations"
APPROVED_BY, APPROVED_AT, APPROVAL_REASON = "approval.by", "approval.at", "approval.reason"


class ApprovalRecord(BaseModel):
    approved_by: str
    approved_at: str
    reason: str


class RegisteredVersion(BaseModel):
    name: str
    version: str
    semver: str
    aliases: list[str]
    approval: ApprovalRecord | None
    schema_digest: str = ""
    """The digest of the feature schema the version was trained on: its interface."""


class ModelRegistry:
    """A thin, rule-keeping layer over one MLflow tracking/registry URI."""

    def __init__(self, tracking_uri: str) -> None:
        self.tracking_uri = tracking_uri
        os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
        os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "10")

    @cached_property
    def client(self) -> MlflowClient:
        """Created on first use: MLflow creates a SQLite store as soon as a client opens it."""
        return MlflowClient(tracking_uri=self.tracking_uri, registry_uri=self.tracking_uri)

    def check_reachable(self) -> None:
        """Fail fast, before any work, when the store cannot be opened."""
        if self.tracking_uri.startswith("sqlite:///"):
            folder = Path(self.tracking_uri.removeprefix("sqlite:///")).parent
            if not folder.is_dir():
                raise RegistryUnavailable(
                    f"MLflow registry {self.tracking_uri} cannot be reached: folder {folder} "
                    "does not exist"
                )
        try:
            self.client.search_registered_models(max_results=1)
        except Exception as error:
            raise RegistryUnavailable(
                f"MLflow registry {self.tracking_uri} cannot be reached: {_first_line(error)}"
            ) from error

    def register(
        self,
        name: str,
        source_uri: str,
        run_id: str,
        schema_digest: str,
        tags: dict[str, str],
        model_id: str | None = None,
    ) -> RegisteredVersion:
        """Create the next version with all its tags at once, and make it the challenger."""
        semver = self._next_semver(name, schema_digest)
        all_tags = {**tags, SEMVER_TAG: semver, SCHEMA_TAG: schema_digest}
        with _registry_errors(self.tracking_uri):
            if not self._exists(name):
                self.client.create_registered_model(name)
            created = self.client.create_model_version(
                name, source_uri, run_id=run_id, tags=all_tags, model_id=model_id
            )
            self.client.set_registered_model_alias(name, CHALLENGER, created.version)
        return self.describe(name, str(created.version))

    def approve(self, name: str, version: str, approver: str, reason: str) -> RegisteredVersion:
        if not approver.strip():
            raise InvalidApproval("approval needs 'approved_by': who approves")
        if not reason.strip():
            raise InvalidApproval("approval needs 'reason': why the version may serve")
        found = self._version(name, version)
        if FAIRNESS_TAG not in found.tags:
            raise ApprovalRefused(
                f"{name} version {version} has no fairness report, so it cannot be approved"
            )
        violations = json.loads(found.tags[FAIRNESS_TAG])
        if violations:
            raise ApprovalRefused(
                f"{name} version {version} fails its fairness policy: " + "; ".join(violations)
            )
        now = datetime.now(UTC).isoformat(timespec="seconds")
        with _registry_errors(self.tracking_uri):
            for key, value in (
                (APPROVED_BY, approver),
                (APPROVED_AT, now),
                (APPROVAL_REASON, reason),
            ):
                self.client.set_model_version_tag(name, version, key, value)
        return self.describe(name, version)

    def promote(self, name: str, version: str) -> RegisteredVersion:
        """Make an approved version champion; the replaced champion becomes `previous`."""
        found = self._version(name, version)
        if _approval(found) is None:
            raise PromotionRefused(
                f"{name} version {version} has no approval record (who, when, why); "
                "approve it before promoting it to champion"
            )
        current = self.champion(name)
        with _registry_errors(self.tracking_uri):
            if current is not None and current.version != version:
                self.client.set_registered_model_alias(name, PREVIOUS, current.version)
            self.client.set_registered_model_alias(name, CHAMPION, version)
            if CHALLENGER in found.aliases:
                self.client.delete_registered_model_alias(name, CHALLENGER)
        return self.describe(name, version)

    def tag(self, name: str, version: str, tags: dict[str, str]) -> RegisteredVersion:
        """Add tags (a retraining's decision on the version, say); the rule-keeping tags
        (semantic version, schema, fairness verdict, approval) are not writable here."""
        reserved = {SEMVER_TAG, SCHEMA_TAG, FAIRNESS_TAG, APPROVED_BY, APPROVED_AT, APPROVAL_REASON}
        if clash := sorted(reserved & tags.keys()):
            raise InvalidInput(f"tags {', '.join(clash)} are kept by the registry's own rules")
        self._version(name, version)
        with _registry_errors(self.tracking_uri):
            for key, value in tags.items():
                self.client.set_model_version_tag(name, version, key, value)
        return self.describe(name, version)

    def rollback(self, name: str) -> RegisteredVersion:
        """Make `previous` champion again; the rolled-back version keeps no alias."""
        target = self.previous(name)
        if target is None:
            raise PromotionRefused(f"{name} has no previous champion to roll back to")
        with _registry_errors(self.tracking_uri):
            self.client.set_registered_model_alias(name, CHAMPION, target.version)
            self.client.delete_registered_model_alias(name, PREVIOUS)
        return self.describe(name, target.version)

    def previous(self, name: str) -> RegisteredVersion | None:
        return self._by_alias(name, PREVIOUS)

    def champion(self, name: str) -> RegisteredVersion | None:
        return self._by_alias(name, CHAMPION)

    def _by_alias(self, name: str, alias: str) -> RegisteredVersion | None:
        if not self._exists(name):
            return None
        try:
            found = self.client.get_model_version_by_alias(name, alias)
        except MlflowException:
            return None
        return _describe(found)

    def describe(self, name: str, version: str) -> RegisteredVersion:
        return _describe(self._version(name, version))

    def _version(self, name: str, version: str) -> ModelVersion:
        with _registry_errors(self.tracking_uri, missing=f"{name} version {version}"):
            return self.client.get_model_version(name, version)

    def _exists(self, name: str) -> bool:
        with _registry_errors(self.tracking_uri):
            return bool(self.client.search_registered_models(filter_string=f"name = '{name}'"))

    def _next_semver(self, name: str, schema_digest: str) -> str:
        if not self._exists(name):
            return "1.0.0"
        with _registry_errors(self.tracking_uri):
            versions = self.client.search_model_versions(f"name = '{name}'")
        tagged = [v for v in versions if SEMVER_TAG in v.tags]
        if not tagged:
            return "1.0.0"
        latest = max(tagged, key=lambda v: int(v.version))
        major, minor, _ = (int(part) for part in latest.tags[SEMVER_TAG].split("."))
        if latest.tags.get(SCHEMA_TAG) != schema_digest:
            return f"{major + 1}.0.0"
        return f"{major}.{minor + 1}.0"


def _approval(version: ModelVersion) -> ApprovalRecord | None:
    tags = version.tags
    if not all(key in tags for key in (APPROVED_BY, APPROVED_AT, APPROVAL_REASON)):
        return None
    return ApprovalRecord(
        approved_by=tags[APPROVED_BY], approved_at=tags[APPROVED_AT], reason=tags[APPROVAL_REASON]
    )


def _describe(version: ModelVersion) -> RegisteredVersion:
    return RegisteredVersion(
        name=version.name,
        version=str(version.version),
        semver=version.tags.get(SEMVER_TAG, ""),
        aliases=sorted(version.aliases),
        approval=_approval(version),
        schema_digest=version.tags.get(SCHEMA_TAG, ""),
    )


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0][:300]


@contextmanager
def _registry_errors(uri: str, missing: str | None = None) -> Iterator[None]:
    """Turn MLflow and connection errors into `RegistryUnavailable` naming the URI."""
    try:
        yield
    except MlflowException as error:
        if missing and error.error_code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"):
            raise InvalidInput(f"the registry has no {missing}") from error
        raise RegistryUnavailable(f"MLflow registry {uri} failed: {_first_line(error)}") from error
    except ReadinessError:
        raise
    except Exception as error:
        raise RegistryUnavailable(f"MLflow registry {uri} failed: {_first_line(error)}") from error
