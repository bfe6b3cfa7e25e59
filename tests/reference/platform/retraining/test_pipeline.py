"""The retraining loop end to end, on tiny models in one shared home:

1. a deliberately weak champion (version 1) is trained and promoted;
2. a manual retraining with normal (tiny) settings, against a deployment (the admin API
   double), shadows the challenger and promotes it through the deployment (version 2);
3. a scheduled retraining with the weak settings is refused as worse (version 3);
4. a performance-triggered retraining under a strict fairness policy is refused as unfair
   (version 4), though it is as good as the champion.
"""

import fcntl
import json
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from mlflow import MlflowClient

from readiness.audit.verify import verify
from readiness.descriptor import Credentials, Endpoints, Registry, TargetDescriptor
from readiness.errors import InvalidDescriptor, OperationFailed
from readiness.home import MLFLOW_VARIABLE, Home
from reference.platform.audit.prediction_log import PredictionLog
from reference.platform.model.lifecycle import TrainingSummary, TrainOptions, train
from reference.platform.model.registry import ModelRegistry
from reference.platform.model.served import SERVED_MODEL
from reference.platform.model.training import TrainingConfig
from reference.platform.retraining.alerts import RUNBOOK
from reference.platform.retraining.journal import EXPERIMENT
from reference.platform.retraining.outcome import Decision, RetrainingOutcome
from reference.platform.retraining.pipeline import APPROVER, retrain
from reference.platform.retraining.policy import ShadowGate, load_retraining_policy
from reference.platform.retraining.shadow import ShadowStatus
from reference.platform.retraining.triggers import RetrainingTrigger, TriggerKind
from tests.reference.platform.retraining.admin_double import KEY, AdminDouble, serving

TINY = TrainingConfig.tiny()
WEAK = TINY.model_copy(
    update={"student": TINY.student.model_copy(update={"epochs": 1, "learning_rate": 2e-5})}
)
"""A student that has barely started learning: far below any champion worth keeping."""
POLICY = load_retraining_policy().model_copy(
    update={"shadow": ShadowGate(min_comparisons=50, min_agreement=0.9, timeout_s=10, poll_s=0.05)}
)


@dataclass(frozen=True)
class Story:
    home: Home
    first: TrainingSummary
    better: RetrainingOutcome
    worse: RetrainingOutcome
    unfair: RetrainingOutcome
    double: AdminDouble


def fairness_policy(folder: Path, name: str, max_eo: float) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(
        f"name: {name}\nsensitive_features: [sex, race]\ndemographic_parity_ratio_min: null\n"
        f"equalized_odds_difference_max: {max_eo}\n"
    )
    return path


def target_of(home: Home, double: AdminDouble) -> TargetDescriptor:
    credentials = home.root / "credentials.env"
    credentials.write_text(f"RETRAIN_TEST_ADMIN_KEY={KEY}\n")
    return TargetDescriptor(
        name="double", architecture="microservice", pattern="real-time", profile="production",
        slos={"p99_latency_ms": 100, "error_rate": 0.01, "availability": 0.99},
        endpoints=Endpoints(predict="http://unused", health="http://unused", admin=double.url),
        credentials=Credentials(admin_key_env="RETRAIN_TEST_ADMIN_KEY", env_file=credentials),
        registry=Registry(uri=home.mlflow_tracking_uri, model=SERVED_MODEL),
        audit_store=home.audit_url,
    )  # fmt: skip


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> Story:
    folder = tmp_path_factory.mktemp("retraining")
    with pytest.MonkeyPatch.context() as patch:  # MLflow sets the variable; undo it after
        patch.delenv(MLFLOW_VARIABLE, raising=False)
        patch.delenv("RETRAIN_TEST_ADMIN_KEY", raising=False)
        home = Home(folder / "home").ensure()
        lenient = TrainOptions(config=TINY, policy_path=fairness_policy(folder, "lenient", 1.0),
                               cost_seconds=0.01, importance_rows=5)  # fmt: skip
        weak = replace(lenient, config=WEAK)
        first = train(home, weak)
        registry = ModelRegistry(home.mlflow_tracking_uri)
        double = AdminDouble(champion="1", shadow_answers=60, registry=registry)
        with serving(double):
            better = retrain(
                home, RetrainingTrigger(kind=TriggerKind.MANUAL, evidence="requested by ana"),
                POLICY, lenient, target_of(home, double),
            )  # fmt: skip
        worse = retrain(
            home, RetrainingTrigger(kind=TriggerKind.SCHEDULE, evidence="weekly"), POLICY, weak
        )
        strict = replace(lenient, policy_path=fairness_policy(folder, "strict", 0.001))
        unfair = retrain(
            home, RetrainingTrigger(kind=TriggerKind.PERFORMANCE, evidence="accuracy 0.71"),
            POLICY, strict,
        )  # fmt: skip
    return Story(home, first, better, worse, unfair, double)


def failed(outcome: RetrainingOutcome) -> list[str]:
    return [check.name for check in outcome.checks if not check.passed]


def alerts(home: Home, kind: str) -> list[dict[str, object]]:
    path = home.root / "monitoring" / "alerts" / f"{kind}.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_the_weak_champion_is_where_the_story_starts(story: Story) -> None:
    assert story.first.registry.champion_version == "1"
    assert story.first.student_int8.auc < 0.8


def test_a_better_challenger_is_shadowed_then_promoted_through_the_deployment(
    story: Story,
) -> None:
    better = story.better
    assert (better.decision, better.champion_before, better.challenger, better.champion_after) == (
        Decision.PROMOTE, "1", "2", "2"
    )  # fmt: skip
    assert better.promoted_through == "deployment admin API"
    assert better.offline.challenger.auc > better.offline.champion.auc + 0.2  # type: ignore[union-attr]
    assert better.shadow is not None
    assert better.shadow.status is ShadowStatus.PASSED
    assert better.shadow.comparisons == 60
    registry = ModelRegistry(story.home.mlflow_tracking_uri)
    champion = registry.champion(SERVED_MODEL)
    assert champion is not None
    assert champion.version == "2"
    assert champion.approval is not None
    assert champion.approval.approved_by == APPROVER
    assert better.retraining_run_id in champion.approval.reason
    previous = registry.previous(SERVED_MODEL)
    assert previous is not None
    assert previous.version == "1"
    calls = [(method, route) for method, route, _ in story.double.calls if method != "GET"]
    assert calls == [("PUT", "routing"), ("PUT", "routing"), ("POST", "promote")]
    assert better.alert is None


def test_a_worse_challenger_is_refused_and_the_champion_stays(story: Story) -> None:
    worse = story.worse
    assert (worse.decision, worse.challenger, worse.champion_after) == (Decision.KEEP, "3", "2")
    assert {"auc-vs-champion", "accuracy-vs-champion", "auc-floor"} <= set(failed(worse))
    assert worse.shadow is None
    assert worse.promoted_through is None
    assert (
        ModelRegistry(story.home.mlflow_tracking_uri).describe(SERVED_MODEL, "3").approval is None
    )
    (ticket,) = alerts(story.home, "tickets")  # a scheduled retraining's refusal: a ticket
    assert (ticket["rule"], ticket["version"], ticket["runbook"]) == (
        "retraining-refused", "3", RUNBOOK
    )  # fmt: skip
    assert "auc-vs-champion" in str(ticket["condition"])
    assert "champion 2's" in str(ticket["detail"])


def test_an_unfair_challenger_is_refused_by_the_fairness_gate_alone(story: Story) -> None:
    unfair = story.unfair
    assert (unfair.decision, unfair.challenger, unfair.champion_after) == (Decision.KEEP, "4", "2")
    assert failed(unfair) == ["fairness"]
    assert unfair.reasons[0].startswith("challenger fails fairness policy 'strict': equalised odds")
    (page,) = alerts(story.home, "pages")  # a performance retraining's refusal: a page
    assert (page["version"], page["severity"]) == ("4", "high")
    assert "performance: accuracy 0.71" in str(page["detail"])


def test_every_retraining_is_one_finished_mlflow_run_with_its_decision(story: Story) -> None:
    uri = story.home.mlflow_tracking_uri
    client = MlflowClient(uri, registry_uri=uri)
    experiment = client.get_experiment_by_name(EXPERIMENT)
    assert experiment is not None
    runs = {r.info.run_id: r for r in client.search_runs([experiment.experiment_id])}
    for outcome, trigger, decision, champion in (
        (story.better, "manual", "promote", "1"),
        (story.worse, "schedule", "keep", "2"),
        (story.unfair, "performance", "keep", "2"),
    ):
        run = runs.pop(outcome.retraining_run_id)
        assert run.info.status == "FINISHED"
        tags = run.data.tags
        assert (tags["retraining.trigger"], tags["retraining.decision"]) == (trigger, decision)
        assert (tags["champion.version"], tags["challenger.version"]) == (
            champion, outcome.challenger
        )  # fmt: skip
        assert tags["challenger.training_run_id"] == outcome.training_run_id
        assert tags["retraining.reasons"] == "; ".join(outcome.reasons)
        assert run.data.metrics["challenger.auc"] == pytest.approx(outcome.offline.challenger.auc)
        assert "champion.auc" in run.data.metrics
    assert runs == {}
    assert runs == {}


def test_the_deployment_log_records_every_step_as_the_retraining_actor(story: Story) -> None:
    log = PredictionLog(story.home.audit_url)
    entries = [e for e in reversed(log.deployments(SERVED_MODEL)) if e.actor == "retraining"]
    assert [(e.action, e.from_version, e.to_version) for e in entries] == [
        ("retrain-challenger", "1", "2"), ("retrain-shadow", "1", "2"),
        ("retrain-promote", "1", "2"),
        ("retrain-challenger", "2", "3"), ("retrain-refused", "2", "3"),
        ("retrain-challenger", "2", "4"), ("retrain-refused", "2", "4"),
    ]  # fmt: skip
    assert entries[-1].detail == "; ".join(story.unfair.reasons)[:1000]
    assert verify(story.home.audit_url).ok


def test_each_challenger_carries_its_decision_in_the_registry(story: Story) -> None:
    client = ModelRegistry(story.home.mlflow_tracking_uri).client
    for outcome in (story.better, story.worse, story.unfair):
        tags = client.get_model_version(SERVED_MODEL, outcome.challenger).tags
        assert tags["retraining.decision"] == outcome.decision.value
        assert tags["retraining.run_id"] == outcome.retraining_run_id


def test_a_second_retraining_in_the_same_home_is_refused_before_any_work(
    isolated_home: Path,
) -> None:
    home = Home(isolated_home).ensure()
    with (home.runs / "retraining.lock").open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(OperationFailed, match="another retraining is running in"):
            retrain(home, RetrainingTrigger(kind=TriggerKind.MANUAL, evidence="x"), POLICY,
                    TrainOptions(config=TINY))  # fmt: skip
    assert not (home.feature_repo / "applicant_features.parquet").exists()


def test_a_target_serving_from_another_registry_is_refused(isolated_home: Path) -> None:
    home = Home(isolated_home).ensure()
    target = target_of(home, AdminDouble(champion="1", url="http://127.0.0.1:9/{model}"))
    elsewhere = target.model_copy(
        update={"registry": Registry(uri="sqlite:////elsewhere/mlflow.db", model=SERVED_MODEL)}
    )
    with pytest.raises(InvalidDescriptor, match="serves from registry sqlite:////elsewhere"):
        retrain(home, RetrainingTrigger(kind=TriggerKind.MANUAL, evidence="x"), POLICY,
                TrainOptions(config=TINY), elsewhere)  # fmt: skip


def test_the_refusal_runbook_exists() -> None:
    runbooks = (Path(__file__).parents[4] / "reference/platform/alerting/runbooks.md").read_text()
    assert f"## {RUNBOOK.partition('#')[2]}" in runbooks.splitlines()
