"""Observability: are model performance, data quality and drift monitored?"""

from assessment.probes import Evidence, Verdict, fails, judge, passes, unknown
from assessment.probes.signals import (
    DATA_QUALITY,
    DRIFT,
    LATENCY,
    LATENCY_TYPES,
    MODEL_QUALITY,
    REQUEST_OUTCOMES,
    REQUESTS,
    STATUS_LABELS,
    exports,
    families,
    matching,
    names,
)

SEVERITIES = ("critical", "high", "medium", "low")


def declares_metrics_endpoint(evidence: Evidence) -> Verdict:
    declared = evidence.value("descriptor")
    if declared is None:
        return unknown(evidence.why_missing("descriptor"))
    endpoint = (declared.get("endpoints") or {}).get("metrics")
    return judge(bool(endpoint), f"metrics at {endpoint}", "no metrics endpoint declared")


def defines_alert_rules(evidence: Evidence) -> Verdict:
    rules = evidence.value("alert_rules")
    if rules is None:
        return fails(evidence.why_missing("alert_rules"))
    count = len(rules.get("rules", []))
    return judge(
        count > 0,
        f"{count} alert rules in {rules.get('file')}",
        f"no alert rule in {rules.get('file')}",
    )


def exports_latency_histogram(evidence: Evidence) -> Verdict:
    return exports(evidence, LATENCY, "latency histogram", types=LATENCY_TYPES, signal="latency")


def exports_request_and_error_counters(evidence: Evidence) -> Verdict:
    """A request counter by status, or (Triton's way) a success and a failure counter."""
    verdict = exports(evidence, REQUESTS, "request counter by status", types=("counter",),
                      labels=STATUS_LABELS, signal="requests")  # fmt: skip
    scrape = evidence.value("service_metrics")
    if verdict.outcome.value != "fail" or scrape is None:
        return verdict
    pair = matching(families(scrape), REQUEST_OUTCOMES, "counter")
    kinds = {"success" if "success" in str(f.get("name")) else "failure" for f in pair}
    if kinds == {"success", "failure"}:
        return passes(f"request success and failure counters: {names(pair)}")
    return verdict


MONITORED = ("service_metrics", "monitor_metrics")


def exports_drift_per_feature(evidence: Evidence) -> Verdict:
    return exports(evidence, DRIFT, "drift per feature", endpoints=MONITORED, labels=("feature",),
                   signal="drift")  # fmt: skip


def exports_data_quality(evidence: Evidence) -> Verdict:
    return exports(evidence, DATA_QUALITY, "data-quality metric", endpoints=MONITORED,
                   signal="data_quality")  # fmt: skip


def exports_model_quality(evidence: Evidence) -> Verdict:
    return exports(evidence, MODEL_QUALITY, "model-quality metric", endpoints=MONITORED,
                   signal="model_quality")  # fmt: skip


def alert_rules_cover_four_severities(evidence: Evidence) -> Verdict:
    rules = evidence.value("alert_rules")
    if rules is None:
        return fails(evidence.why_missing("alert_rules"))
    present = {str(rule.get("severity")) for rule in rules.get("rules", [])}
    missing = [s for s in SEVERITIES if s not in present]
    if missing:
        return fails(f"no rule for severity {', '.join(missing)}")
    return passes(f"rules for {', '.join(SEVERITIES)}")
