import json
from pathlib import Path

import mlflow
import pytest

from readiness.errors import (
    ApprovalRefused,
    InvalidApproval,
    PromotionRefused,
    RegistryUnavailable,
)
from reference.platform.model.registry import (
    CHALLENGER,
    CHAMPION,
    FAIRNESS_TAG,
    PREVIOUS,
    ModelRegistry,
)
from tests.servers import free_port

NAME = "test-model"


@pytest.fixture
def registry(tmp_path: Path) -> ModelRegistry:
    registry = ModelRegistry(f"sqlite:///{tmp_path / 'mlflow.db'}")
    registry.check_reachable()
    return registry


def register(registry: ModelRegistry, violations: list[str], schema: str = "s1") -> str:
    mlflow.set_tracking_uri(registry.tracking_uri)
    folder = Path(registry.tracking_uri.removeprefix("sqlite:///")).parent
    experiment = registry.client.get_experiment_by_name("test") or registry.client.get_experiment(
        registry.client.create_experiment("test", artifact_location=(folder / "artifacts").as_uri())
    )
    with mlflow.start_run(experiment_id=experiment.experiment_id) as run:
        mlflow.log_text("weights", "model/weights.txt")
    version = registry.register(
        NAME,
        f"runs:/{run.info.run_id}/model",
        run.info.run_id,
        schema,
        {FAIRNESS_TAG: json.dumps(violations)},
    )
    return version.version


def tags_of(registry: ModelRegistry, version: str) -> dict[str, str]:
    return dict(registry.client.get_model_version(NAME, version).tags)


def test_a_new_version_is_the_challenger_with_a_semantic_version(registry: ModelRegistry) -> None:
    version = register(registry, [])
    described = registry.describe(NAME, version)
    assert described.semver == "1.0.0"
    assert described.aliases == [CHALLENGER]
    assert registry.champion(NAME) is None


def test_a_retrain_bumps_the_minor_and_a_schema_change_the_major(registry: ModelRegistry) -> None:
    register(registry, [])
    second = register(registry, [])
    third = register(registry, [], schema="s2")
    assert registry.describe(NAME, second).semver == "1.1.0"
    assert registry.describe(NAME, third).semver == "2.0.0"


def test_approval_records_who_when_and_why_and_allows_promotion(registry: ModelRegistry) -> None:
    version = register(registry, [])
    approved = registry.approve(NAME, version, "ana", "passed review")
    assert approved.approval is not None
    assert approved.approval.approved_by == "ana"
    assert approved.approval.reason == "passed review"
    champion = registry.promote(NAME, version)
    assert champion.aliases == [CHAMPION]


def test_the_replaced_champion_becomes_previous(registry: ModelRegistry) -> None:
    first, second = register(registry, []), register(registry, [])
    for version in (first, second):
        registry.approve(NAME, version, "ana", "ok")
        registry.promote(NAME, version)
    assert registry.describe(NAME, first).aliases == [PREVIOUS]
    champion = registry.champion(NAME)
    assert champion is not None
    assert champion.version == second


@pytest.mark.parametrize(
    ("approver", "reason", "message"),
    [
        ("", "fine", "needs 'approved_by'"),
        ("ana", "  ", "needs 'reason'"),
    ],
    ids=["without an approver", "without a reason"],
)
def test_an_incomplete_approval_is_refused_and_changes_nothing(
    registry: ModelRegistry, approver: str, reason: str, message: str
) -> None:
    version = register(registry, [])
    before = tags_of(registry, version)
    with pytest.raises(InvalidApproval, match=message):
        registry.approve(NAME, version, approver, reason)
    assert tags_of(registry, version) == before


def test_a_version_that_fails_its_fairness_policy_cannot_be_approved(
    registry: ModelRegistry,
) -> None:
    version = register(registry, ["demographic parity ratio by sex is 0.3, below 0.8"])
    before = tags_of(registry, version)
    with pytest.raises(
        ApprovalRefused, match="fails its fairness policy: demographic parity ratio by sex"
    ):
        registry.approve(NAME, version, "ana", "looks good")
    assert tags_of(registry, version) == before


def test_an_unapproved_version_cannot_become_champion(registry: ModelRegistry) -> None:
    version = register(registry, [])
    with pytest.raises(PromotionRefused, match="has no approval record"):
        registry.promote(NAME, version)
    assert registry.champion(NAME) is None
    assert registry.describe(NAME, version).aliases == [CHALLENGER]


def test_a_registry_in_a_missing_folder_is_unavailable(tmp_path: Path) -> None:
    registry = ModelRegistry(f"sqlite:///{tmp_path / 'absent' / 'mlflow.db'}")
    with pytest.raises(RegistryUnavailable, match=r"folder .*absent does not exist"):
        registry.check_reachable()


def test_a_registry_server_that_does_not_answer_is_unavailable() -> None:
    port = free_port()
    registry = ModelRegistry(f"http://127.0.0.1:{port}")
    with pytest.raises(RegistryUnavailable, match=rf"http://127\.0\.0\.1:{port} cannot be reached"):
        registry.check_reachable()
