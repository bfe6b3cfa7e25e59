"""The MLOps probes, one case per outcome: a registry declared, the served version found
in it with a tracked run, full lineage matching the served artifact, an approval before the
promotion, timestamped features, retraining from trigger to decision, and a deployment
frequency from the deployment log."""

from typing import Any

import pytest

from assessment.probes.mlops import (
    approval_recorded_before_promotion,
    declares_registry,
    deployment_frequency_measured,
    features_versioned_with_point_in_time,
    retraining_observed_end_to_end,
    runs_tracked_with_params_and_metrics,
    served_version_has_full_lineage,
    served_version_resolves_in_registry,
)
from readiness.bundle import Outcome
from tests.assessment.probes.facts import Case, Missing, judged_as_expected

LINEAGE = {"code_version": "c0ffee" * 4, "dataset_digest": "da7a" * 6, "artifact_sha256": "ab12"}
APPROVAL = {"approval.by": "ana", "approval.at": "2026-12-01T10:00:00+00:00",
            "approval.reason": "beats the champion"}  # fmt: skip
RUN = {"id": "r1", "params": {"depth": 6}, "metrics": {"auc": 0.9}}


def registry(tags: dict[str, str] | None = None, run: dict[str, Any] | None = None) -> Any:
    record = {"tags": LINEAGE | APPROVAL | (tags or {}), "run": RUN if run is None else run}
    return {"model": "credit", "versions": {"3": record}}


def deployments(*events: tuple[str, str, str]) -> dict[str, Any]:
    return {"deployments": [{"action": a, "to_version": v, "at": at} for a, v, at in events]}


SERVED = {"low_load": {"versions": ["3"]}}
INFO = {"model_info": [{"version": "3", "sha256": "ab12"}]}
MLFLOW_OWN = {"tags": {"mlflow.source.git.commit": "be57" * 5},
              "datasets": [{"digest": "d1g3"}]} | RUN  # fmt: skip
CASES: dict[str, Case] = {
    "a registry is declared": (
        declares_registry, {"descriptor": {"registry": {"uri": "http://mlflow", "model": "c"}}},
        Outcome.PASS, "registry http://mlflow, model c"),
    "no registry is declared": (
        declares_registry, {"descriptor": {}}, Outcome.FAIL, "no registry declared"),
    "the served version is registered": (
        served_version_resolves_in_registry, SERVED | {"registry": registry()},
        Outcome.PASS, "version 3 answers and is registered"),
    "the served version is not registered": (
        served_version_resolves_in_registry,
        {"low_load": {"versions": ["8"]}, "registry": registry()},
        Outcome.FAIL, "version 8 is not in the registry's credit"),
    "nothing names the served version": (
        served_version_resolves_in_registry, {"registry": registry()},
        Outcome.NOT_AVAILABLE, "no live answer named the served version"),
    "the descriptor names the served version": (
        served_version_resolves_in_registry,
        {"registry": registry(), "descriptor": {"registry": {"served_version": 3}}},
        Outcome.PASS, "version 3 answers"),
    "the run has params and metrics": (
        runs_tracked_with_params_and_metrics, SERVED | {"registry": registry()},
        Outcome.PASS, "version 3's run r1: 1 params, 1 metrics"),
    "the run has no metrics": (
        runs_tracked_with_params_and_metrics,
        SERVED | {"registry": registry(run={"id": "r1", "params": {"a": 1}})},
        Outcome.FAIL, "version 3's run has 1 params and 0 metrics"),
    "no registry reachable": (
        runs_tracked_with_params_and_metrics, {"registry": Missing("the registry refused: 401")},
        Outcome.NOT_AVAILABLE, "the registry refused: 401"),
    "full lineage and the served artifact matches": (
        served_version_has_full_lineage, INFO | {"registry": registry()},
        Outcome.PASS, "served artifact = recorded sha256"),
    "lineage in MLflow's own conventions": (
        served_version_has_full_lineage,
        INFO | {"registry": {"model": "c", "versions": {"3": {
            "tags": {"artifact_sha256": "ab12"}, "run": MLFLOW_OWN}}}},
        Outcome.PASS, "version 3: code be57be57be57, dataset d1g3"),
    "the served artifact differs from the recorded one": (
        served_version_has_full_lineage,
        {"model_info": [{"version": "3", "sha256": "ffff"}], "registry": registry()},
        Outcome.FAIL, "version 3 serves ffff but the registry recorded ab12"),
    "lineage without a dataset or hyperparameters": (
        served_version_has_full_lineage,
        INFO | {"registry": registry({"dataset_digest": ""}, run={})},
        Outcome.FAIL, "version 3 lacks dataset_digest, hyperparameters"),
    "lineage recorded but no served hash exported": (
        served_version_has_full_lineage,
        {"registry": registry(), "model_info": Missing("no *_model_info"),
         "descriptor": {"registry": {"served_version": 3}}},
        Outcome.NOT_AVAILABLE, "lineage recorded; no *_model_info"),
    "approved before promotion": (
        approval_recorded_before_promotion,
        SERVED | {"registry": registry(),
                  "audit_store": deployments(("promote", "3", "2026-12-02T00:00:00+00:00"))},
        Outcome.PASS, "version 3 approved by ana at 2026-12-01 10:00:00+00:00: beats"),
    "promoted before its approval": (
        approval_recorded_before_promotion,
        SERVED | {"registry": registry(),
                  "audit_store": deployments(("promote", "3", "2026-11-30T00:00:00+00:00"))},
        Outcome.FAIL, "was promoted at 2026-11-30 00:00:00+00:00 before its approval"),
    "no approval record": (
        approval_recorded_before_promotion,
        SERVED | {"registry": registry({"approval.by": "", "approval.reason": ""})},
        Outcome.FAIL, "version 3 has no approval record (approval.by, approval.reason)"),
    "timestamped views and a schema digest": (
        features_versioned_with_point_in_time,
        SERVED | {"registry": registry({"schema_digest": "5c4e" * 4}),
                  "feature_store": {"feature_views": [{"name": "applicant",
                                                       "timestamp_field": "ts"}]}},
        Outcome.PASS, "views applicant with event timestamps; version 3 records schema"),
    "a view without an event timestamp": (
        features_versioned_with_point_in_time,
        {"feature_store": {"feature_views": [{"name": "applicant"}]}},
        Outcome.FAIL, "no feature view with an event timestamp (views: applicant)"),
    "timestamped views but no schema digest": (
        features_versioned_with_point_in_time,
        SERVED | {"registry": registry(),
                  "feature_store": {"feature_views": [{"name": "a", "timestamp_field": "ts"}]}},
        Outcome.FAIL, "version 3 records no schema_digest"),
    "no feature store declared": (
        features_versioned_with_point_in_time, {"feature_store": Missing("no feature store")},
        Outcome.NOT_AVAILABLE, "no feature store"),
    "a challenger trained and decided": (
        retraining_observed_end_to_end,
        {"audit_store": deployments(("retrain-challenger", "4", "t1"),
                                    ("retrain-refused", "4", "t2"))},
        Outcome.PASS, "challenger 4: retrain-refused at t2"),
    "a challenger trained but never decided": (
        retraining_observed_end_to_end,
        {"audit_store": deployments(("retrain-challenger", "4", "t1"))},
        Outcome.FAIL, "no retraining from trigger to decision in the deployment log "
        "(1 challengers trained)"),
    "two deployments a day apart": (
        deployment_frequency_measured,
        {"audit_store": deployments(("promote", "2", "2026-12-01T00:00:00+00:00"),
                                    ("rollback", "1", "2026-12-02T00:00:00+00:00"))},
        Outcome.PASS, "2 deployments over 1.00 days (1.0 per day)"),
    "one deployment only": (
        deployment_frequency_measured,
        {"audit_store": deployments(("promote", "2", "2026-12-01T00:00:00+00:00"))},
        Outcome.FAIL, "1 promotions or rollbacks in the deployment log (need 2)"),
    "no deployment log": (
        deployment_frequency_measured, {}, Outcome.NOT_AVAILABLE, "no audit_store evidence"),
}  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_each_mlops_probe_judges_its_evidence(case: str) -> None:
    judged_as_expected(CASES[case])
