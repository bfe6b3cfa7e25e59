"""Automated retraining: train a challenger, judge it against the champion offline and in
shadow, and promote it through the approval gate only if it is as good and fair.

`retrain()` is the composition root that `readiness retrain`, the schedule and the
performance alert call. Its steps, each recorded by the `Journal`:

1. train: the lifecycle (fresh point-in-time training set from the feature store,
   teacher, student, INT8, MLflow run, registry), registering the challenger without
   approving or promoting it;
2. offline: champion and challenger files scored on the same held-out rows;
3. shadow (with a deployment target only, and only after the offline gate passed): the
   challenger shadows the champion on live traffic through the admin API;
4. decide: promote when every check passed (approve through the registry's fairness gate,
   then promote through the deployment, or the registry when there is none), else keep
   the champion and alert.

One retraining runs per home at a time (a lock under `runs/`): two would publish to the
same feature store and race for the same aliases.
"""

import fcntl
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from readiness.descriptor import TargetDescriptor
from readiness.errors import InvalidDescriptor, OperationFailed, PolicyViolation
from readiness.home import Home
from reference.platform.alerting.actions import Sinks
from reference.platform.model.artifacts import fetch_version
from reference.platform.model.dataset import load_adult
from reference.platform.model.fairness import FairnessPolicy, default_policy_path, load_policy
from reference.platform.model.lifecycle import StageCallback, TrainOptions, train
from reference.platform.model.registry import ModelRegistry, RegisteredVersion
from reference.platform.model.served import SERVED_MODEL
from reference.platform.model.training import ProgressCallback
from reference.platform.retraining.admin import DeploymentAdmin, admin_from_descriptor
from reference.platform.retraining.alerts import alert_refusal, default_sinks
from reference.platform.retraining.journal import Journal
from reference.platform.retraining.offline import (
    Check,
    OfflineComparison,
    compare,
    evaluate_version,
)
from reference.platform.retraining.outcome import Decision, RetrainingOutcome, decide
from reference.platform.retraining.policy import RetrainingPolicy
from reference.platform.retraining.shadow import ShadowResult, watch_shadow
from reference.platform.retraining.triggers import RetrainingTrigger

STEPS = ("train", "offline", "shadow", "decide", "record")
APPROVER = "retraining (automated gates of readiness retrain)"

StepCallback = Callable[[str], None]
"""Called with the name of each step of `STEPS` as it starts."""


def retrain(
    home: Home,
    trigger: RetrainingTrigger,
    policy: RetrainingPolicy,
    options: TrainOptions,
    target: TargetDescriptor | None = None,
    *,
    sinks: Sinks | None = None,
    on_step: StepCallback | None = None,
    on_stage: StageCallback | None = None,
    on_progress: ProgressCallback | None = None,
) -> RetrainingOutcome:
    """Run one retraining to its decision. `options` trains the challenger (its fairness
    policy is this retraining's too); it is never promoted by the training itself."""
    started = time.perf_counter()
    step = on_step or (lambda _: None)
    home.ensure()
    fairness = load_policy(options.policy_path or default_policy_path())
    admin = _deployment_admin(home, target) if target is not None else None
    registry = ModelRegistry(home.mlflow_tracking_uri)
    registry.check_reachable()
    with _one_at_a_time(home):
        champion = registry.champion(SERVED_MODEL)
        audit_url = (target.audit_store if target else None) or home.audit_url
        journal = Journal(home, audit_url, SERVED_MODEL, trigger, policy, fairness.name, champion)
        challenger: str | None = None
        try:
            step("train")
            summary = train(home, replace(options, promote=False), on_stage, on_progress)
            challenger = summary.registry.registered_version
            registered = registry.describe(SERVED_MODEL, challenger)
            journal.trained(registered, summary.run_id, trigger.kind.value)
            judged = _judge(registry, admin, journal, champion, registered, fairness, policy,
                            f"retraining run {journal.run_id} ({trigger.kind})", step)  # fmt: skip
            step("record")
            alert = None
            if judged.decision is Decision.KEEP:
                alert = alert_refusal(
                    sinks or default_sinks(home), policy.refusal_alerts[trigger.kind],
                    SERVED_MODEL, challenger, judged.offline.challenger.auc, judged.failed,
                    f"trigger {trigger.kind}: {trigger.evidence}",
                )  # fmt: skip
            after = registry.champion(SERVED_MODEL)
            outcome = RetrainingOutcome(
                model=SERVED_MODEL, trigger=trigger, policy=policy.name,
                fairness_policy=fairness.name, decision=judged.decision,
                reasons=[c.detail for c in (judged.failed or judged.checks)],
                checks=judged.checks, champion_before=champion.version if champion else None,
                champion_after=after.version if after else None, challenger=challenger,
                challenger_semver=registered.semver, training_run_id=summary.run_id,
                retraining_run_id=journal.run_id, offline=judged.offline, shadow=judged.shadow,
                promoted_through=judged.promoted_through, alert=alert,
                seconds=time.perf_counter() - started,
            )  # fmt: skip
            registry.tag(SERVED_MODEL, challenger, {
                "retraining.decision": judged.decision.value, "retraining.run_id": journal.run_id,
            })  # fmt: skip
            journal.finished(outcome)
            return outcome
        except BaseException as error:
            journal.failed(error, challenger)
            raise
        finally:
            journal.close()


@dataclass
class Judgement:
    """What the gates made of a challenger: every check, the decision, and where it was
    promoted through when it was."""

    offline: OfflineComparison
    shadow: ShadowResult | None
    checks: list[Check]
    decision: Decision
    promoted_through: str | None

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if not c.passed]


def _judge(
    registry: ModelRegistry, admin: DeploymentAdmin | None, journal: Journal,
    champion: RegisteredVersion | None, registered: RegisteredVersion,
    fairness: FairnessPolicy, policy: RetrainingPolicy, why: str, step: StepCallback,
) -> Judgement:  # fmt: skip
    """Steps 2 to 4: the offline gate, the shadow (where there is a deployment), and the
    decision; a promotion the registry's gate refuses keeps the champion. `why` opens the
    promotion's reason."""
    challenger = registered.version
    step("offline")
    offline = _offline(registry, champion, registered, fairness, policy)
    journal.offline(offline)
    shadow: ShadowResult | None = None
    if admin is not None:
        step("shadow")
        shadow = (
            watch_shadow(admin, challenger, policy.shadow) if offline.passed
            else ShadowResult.skipped("the offline gate refused the challenger")
        )  # fmt: skip
        journal.shadow(shadow, challenger)
    step("decide")
    checks = offline.checks + (shadow.checks if shadow else [])
    decision, promoted_through = decide(checks), None
    if decision is Decision.PROMOTE:
        reason = f"{why}: " + "; ".join(c.detail for c in checks)
        try:
            promoted_through = _promote(registry, admin, challenger, reason)
        except PolicyViolation as refused:
            checks.append(Check(name="promotion", passed=False, detail=str(refused)))
            decision = Decision.KEEP
    return Judgement(offline, shadow, checks, decision, promoted_through)


def _deployment_admin(home: Home, target: TargetDescriptor) -> DeploymentAdmin:
    """The target's admin API, after checking it serves from the registry retraining uses."""
    if target.registry is not None:
        if target.registry.model != SERVED_MODEL:
            raise InvalidDescriptor(
                f"target '{target.name}' serves {target.registry.model}; retraining trains "
                f"{SERVED_MODEL}"
            )
        if target.registry.uri != home.mlflow_tracking_uri:
            raise InvalidDescriptor(
                f"target '{target.name}' serves from registry {target.registry.uri}, but this "
                f"retraining registers in {home.mlflow_tracking_uri}"
            )
    return admin_from_descriptor(target, SERVED_MODEL)


def _offline(
    registry: ModelRegistry,
    champion: RegisteredVersion | None,
    challenger: RegisteredVersion,
    fairness: FairnessPolicy,
    policy: RetrainingPolicy,
) -> OfflineComparison:
    data = load_adult()
    with tempfile.TemporaryDirectory(prefix="retrain-") as scratch:
        folder = Path(scratch)
        new = evaluate_version(
            challenger, fetch_version(registry, SERVED_MODEL, challenger.version, folder).path,
            data, fairness,
        )  # fmt: skip
        old = None
        if champion is not None:
            old = evaluate_version(
                champion, fetch_version(registry, SERVED_MODEL, champion.version, folder).path,
                data, fairness,
            )  # fmt: skip
    return compare(old, new, policy.offline)


def _promote(
    registry: ModelRegistry, admin: DeploymentAdmin | None, version: str, reason: str
) -> str:
    """Approve (the registry's fairness gate), then promote where the model serves."""
    registry.approve(SERVED_MODEL, version, APPROVER, reason)
    if admin is None:
        registry.promote(SERVED_MODEL, version)
        return "registry"
    admin.promote(version, reason)
    return "deployment admin API"


@contextmanager
def _one_at_a_time(home: Home) -> Iterator[None]:
    path = home.runs / "retraining.lock"
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OperationFailed(
                f"another retraining is running in {home.root} (it holds {path})"
            ) from None
        yield
