"""Every step of one retraining, written as it happens: one MLflow run and the deployment
log.

The MLflow run (experiment `adult-income-retraining`) is opened before training and
closed FINISHED with the decision, or FAILED with the error, so even a crashed retraining
leaves its record; it carries the trigger, both versions, both sets of metrics, the
decision and its reasons as tags and metrics, and the whole outcome as `outcome.json`.
The deployment log (actor `retraining`) gets `retrain-challenger` when the challenger is
registered, `retrain-shadow` after shadow mode, then `retrain-promote` or
`retrain-refused` (or `retrain-failed`).
"""

import logging

from mlflow import MlflowClient

from readiness.home import Home
from reference.platform.audit.prediction_log import PredictionLog
from reference.platform.model.registry import RegisteredVersion
from reference.platform.model.tracking import experiment_id
from reference.platform.retraining.offline import OfflineComparison
from reference.platform.retraining.outcome import Decision, RetrainingOutcome
from reference.platform.retraining.policy import RetrainingPolicy
from reference.platform.retraining.shadow import ShadowResult
from reference.platform.retraining.triggers import RetrainingTrigger

ACTOR = "retraining"
EXPERIMENT = "adult-income-retraining"
TAG_LIMIT = 5000
"""MLflow keeps tag values up to this length on every store."""

log = logging.getLogger(__name__)


class Journal:
    def __init__(
        self,
        home: Home,
        audit_url: str,
        model: str,
        trigger: RetrainingTrigger,
        policy: RetrainingPolicy,
        fairness_policy: str,
        champion: RegisteredVersion | None,
    ) -> None:
        self.model, self.champion = model, champion.version if champion else None
        self.client = MlflowClient(home.mlflow_tracking_uri, registry_uri=home.mlflow_tracking_uri)
        run = self.client.create_run(
            experiment_id(home, EXPERIMENT),
            run_name=f"retrain-{trigger.kind}-{trigger.at:%Y%m%dT%H%M%S}",
            tags={
                "retraining.trigger": trigger.kind.value,
                "retraining.evidence": trigger.evidence[:TAG_LIMIT],
                "retraining.policy": policy.name,
                "fairness_policy": fairness_policy,
                "champion.version": self.champion or "none",
            },
        )
        self.run_id: str = run.info.run_id
        for section in ("offline", "shadow"):
            for key, value in getattr(policy, section).model_dump().items():
                self.client.log_param(self.run_id, f"{section}.{key}", value)
        self.log = PredictionLog(audit_url)

    def trained(self, challenger: RegisteredVersion, training_run_id: str, trigger: str) -> None:
        self._tags({"challenger.version": challenger.version,
                    "challenger.semver": challenger.semver,
                    "challenger.training_run_id": training_run_id})  # fmt: skip
        self._deployment(
            "retrain-challenger", challenger.version,
            f"trigger {trigger}; challenger {challenger.semver} registered from training run "
            f"{training_run_id}; retraining run {self.run_id}",
        )  # fmt: skip

    def offline(self, comparison: OfflineComparison) -> None:
        evaluations = {"challenger": comparison.challenger, "champion": comparison.champion}
        for role, evaluation in evaluations.items():
            if evaluation is not None:
                self._metrics({f"{role}.accuracy": evaluation.accuracy,
                               f"{role}.auc": evaluation.auc})  # fmt: skip
                self._tags({f"{role}.fairness_passed": str(evaluation.fairness.passed)})
        if comparison.decision_agreement is not None:
            self._metrics({"offline.decision_agreement": comparison.decision_agreement})
        self._tags({"offline.passed": str(comparison.passed)})

    def shadow(self, result: ShadowResult, challenger: str) -> None:
        self._tags({"shadow.status": result.status.value})
        self._metrics({"shadow.comparisons": float(result.comparisons),
                       "shadow.waited_s": result.waited_s})  # fmt: skip
        if result.agreement is not None:
            self._metrics({"shadow.agreement": result.agreement})
        detail = "; ".join(check.detail for check in result.checks)
        self._deployment("retrain-shadow", challenger, f"{result.status}: {detail}")

    def finished(self, outcome: RetrainingOutcome) -> None:
        reasons = "; ".join(outcome.reasons)
        self._tags({"retraining.decision": outcome.decision.value,
                    "retraining.reasons": reasons[:TAG_LIMIT],
                    "champion.after": outcome.champion_after or "none"})  # fmt: skip
        self.client.log_text(self.run_id, outcome.model_dump_json(indent=2), "outcome.json")
        action = "retrain-promote" if outcome.decision is Decision.PROMOTE else "retrain-refused"
        self._deployment(action, outcome.challenger, reasons)
        self.client.set_terminated(self.run_id, "FINISHED")

    def failed(self, error: BaseException, challenger: str | None) -> None:
        """Best effort: the error that ended the retraining is what the caller must see,
        so a failure to record it is logged, not raised."""
        problem = f"{type(error).__name__}: {error}"
        try:
            self._tags({"retraining.decision": "failed", "retraining.error": problem[:TAG_LIMIT]})
            self._deployment("retrain-failed", challenger, problem)
            self.client.set_terminated(self.run_id, "FAILED")
        except Exception as unrecorded:  # see the docstring
            log.error("could not record the failed retraining %s: %s", self.run_id, unrecorded)

    def close(self) -> None:
        self.log.close()

    def _deployment(self, action: str, challenger: str | None, detail: str) -> None:
        self.log.log_deployment(ACTOR, self.model, action, self.champion, challenger, detail)

    def _tags(self, tags: dict[str, str]) -> None:
        for key, value in tags.items():
            self.client.set_tag(self.run_id, key, value)

    def _metrics(self, metrics: dict[str, float]) -> None:
        for key, value in metrics.items():
            self.client.log_metric(self.run_id, key, value)
