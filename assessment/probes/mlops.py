"""MLOps: are feature store, experiment tracking and registry in production?"""

from datetime import datetime
from typing import Any

from assessment.probes import Evidence, Verdict, fails, judge, passes, unknown

LINEAGE_TAGS = ("code_version", "dataset_digest", "artifact_sha256")
APPROVAL_TAGS = ("approval.by", "approval.at", "approval.reason")
PROMOTIONS = ("promote", "rollback", "retrain-promote")


def served_versions(evidence: Evidence) -> list[str]:
    """The versions that answered live predictions, else those the model-info metric
    names, else the one the descriptor says is served (`registry.served_version`, for a
    server whose answers name none)."""
    load = evidence.value("low_load") if "low_load" in evidence.declared else None
    if load and load.get("versions"):
        return sorted(str(v) for v in load["versions"])
    info = evidence.value("model_info") if "model_info" in evidence.declared else None
    if info:
        return sorted({str(entry["version"]) for entry in info})
    declared = evidence.value("descriptor") if "descriptor" in evidence.declared else None
    registry = (declared or {}).get("registry") or {}
    return [str(registry["served_version"])] if registry.get("served_version") else []


def lineage_tags(record: dict[str, Any]) -> dict[str, str]:
    """The version's lineage in our tags or in MLflow's own conventions: the run's
    `mlflow.source.git.commit` for the code version, a dataset logged as its input for the
    dataset digest."""
    tags = {k: str(v) for k, v in (record.get("tags") or {}).items()}
    run = record.get("run") or {}
    commit = (run.get("tags") or {}).get("mlflow.source.git.commit")
    if not tags.get("code_version") and commit:
        tags["code_version"] = str(commit)
    datasets = [d for d in run.get("datasets") or [] if d.get("digest")]
    if not tags.get("dataset_digest") and datasets:
        tags["dataset_digest"] = str(datasets[0]["digest"])
    return tags


def served_record(evidence: Evidence) -> tuple[str | None, dict[str, Any] | None, str]:
    """(served version, its registry record, why there is none)."""
    registry = evidence.value("registry")
    if registry is None:
        return None, None, evidence.why_missing("registry")
    versions = served_versions(evidence)
    if not versions:
        return (
            None,
            None,
            (
                "no live answer named the served version, the target exports no *_model_info "
                "metric, and the descriptor declares no registry.served_version"
            ),
        )
    served = versions[-1]
    record = registry.get("versions", {}).get(served)
    if record is None:
        return served, None, f"version {served} is not in the registry's {registry.get('model')}"
    return served, record, ""


def declares_registry(evidence: Evidence) -> Verdict:
    declared = evidence.value("descriptor")
    if declared is None:
        return unknown(evidence.why_missing("descriptor"))
    registry = declared.get("registry")
    return judge(
        bool(registry),
        f"registry {registry and registry['uri']}, model {registry and registry['model']}",
        "no registry declared",
    )


def served_version_resolves_in_registry(evidence: Evidence) -> Verdict:
    served, record, why = served_record(evidence)
    if record is None:
        return fails(why) if served is not None else unknown(why)
    return passes(f"version {served} answers and is registered")


def runs_tracked_with_params_and_metrics(evidence: Evidence) -> Verdict:
    served, record, why = served_record(evidence)
    if record is None:
        return unknown(why)
    run = record.get("run") or {}
    params, metrics = len(run.get("params", {})), len(run.get("metrics", {}))
    return judge(
        params > 0 and metrics > 0,
        f"version {served}'s run {run.get('id')}: {params} params, {metrics} metrics",
        f"version {served}'s run has {params} params and {metrics} metrics",
    )


def served_version_has_full_lineage(evidence: Evidence) -> Verdict:
    served, record, why = served_record(evidence)
    if record is None:
        return unknown(why)
    tags = lineage_tags(record)
    missing = [tag for tag in LINEAGE_TAGS if not tags.get(tag)]
    if not (record.get("run") or {}).get("params"):
        missing.append("hyperparameters")
    if missing:
        return fails(f"version {served} lacks {', '.join(missing)} (code version: a "
                     "code_version tag or the run's mlflow.source.git.commit; dataset: a "
                     "dataset_digest tag or a dataset logged as the run's input)")  # fmt: skip
    info = evidence.value("model_info")
    if info is None:
        return unknown(f"lineage recorded; {evidence.why_missing('model_info')}")
    hashes = {e["sha256"] for e in info if str(e.get("version")) == served and e.get("sha256")}
    if not hashes:
        return unknown(f"lineage recorded; no served sha256 for version {served}")
    return judge(
        hashes == {tags["artifact_sha256"]},
        f"version {served}: code {tags['code_version'][:12]}, dataset "
        f"{tags['dataset_digest'][:12]}, served artifact = recorded sha256",
        f"version {served} serves {', '.join(sorted(hashes))[:80]} but the registry "
        f"recorded {tags['artifact_sha256']}",
    )


def approval_recorded_before_promotion(evidence: Evidence) -> Verdict:
    served, record, why = served_record(evidence)
    if record is None:
        return unknown(why)
    tags = record.get("tags", {})
    missing = [tag for tag in APPROVAL_TAGS if not tags.get(tag)]
    if missing:
        return fails(f"version {served} has no approval record ({', '.join(missing)})")
    approved = datetime.fromisoformat(tags["approval.at"])
    audit = evidence.value("audit_store") or {}
    promoted = [
        datetime.fromisoformat(e["at"])
        for e in audit.get("deployments", [])
        if e.get("to_version") == served and e.get("action") in PROMOTIONS
    ]
    early = [p for p in promoted if p < approved]
    if early:
        return fails(
            f"version {served} was promoted at {min(early)} before its approval at {approved}"
        )
    return passes(
        f"version {served} approved by {tags['approval.by']} at {approved}: "
        f"{tags['approval.reason']}"
    )


def features_versioned_with_point_in_time(evidence: Evidence) -> Verdict:
    store = evidence.value("feature_store")
    if store is None:
        return unknown(evidence.why_missing("feature_store"))
    views = store.get("feature_views", [])
    timed = [v["name"] for v in views if v.get("timestamp_field")]
    if not timed:
        return fails(
            f"no feature view with an event timestamp (views: "
            f"{', '.join(v['name'] for v in views) or 'none'})"
        )
    served, record, why = served_record(evidence)
    if record is None:
        return unknown(f"feature views {', '.join(timed)} are timestamped; {why}")
    digest = record.get("tags", {}).get("schema_digest")
    return judge(
        bool(digest),
        f"views {', '.join(timed)} with event timestamps; version "
        f"{served} records schema {str(digest)[:12]}",
        f"version {served} records no schema_digest",
    )


def retraining_observed_end_to_end(evidence: Evidence) -> Verdict:
    audit = evidence.value("audit_store")
    if audit is None:
        return unknown(evidence.why_missing("audit_store"))
    events = audit.get("deployments", [])
    challengers = {e.get("to_version") for e in events if e.get("action") == "retrain-challenger"}
    decided = [
        e
        for e in events
        if e.get("action") in ("retrain-promote", "retrain-refused")
        and e.get("to_version") in challengers
    ]
    if not decided:
        return fails(
            f"no retraining from trigger to decision in the deployment log "
            f"({len(challengers)} challengers trained)"
        )
    last = decided[-1]
    return passes(f"challenger {last['to_version']}: {last['action']} at {last['at']}")


def deployment_frequency_measured(evidence: Evidence) -> Verdict:
    audit = evidence.value("audit_store")
    if audit is None:
        return unknown(evidence.why_missing("audit_store"))
    moments = sorted(
        datetime.fromisoformat(e["at"])
        for e in audit.get("deployments", [])
        if e.get("action") in PROMOTIONS
    )
    if len(moments) < 2:
        return fails(f"{len(moments)} promotions or rollbacks in the deployment log (need 2)")
    span_days = max((moments[-1] - moments[0]).total_seconds() / 86400, 1 / 24)
    return passes(
        f"{len(moments)} deployments over {span_days:.2f} days "
        f"({(len(moments) - 1) / span_days:.1f} per day)"
    )
