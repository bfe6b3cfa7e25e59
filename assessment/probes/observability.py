"""Observability: are model performance, data quality and drift monitored?"""

import re

from assessment.probes import Evidence, Verdict, fails, judge, passes, unknown
from assessment.probes.signals import (
    DATA_QUALITY,
    DRIFT,
    LATENCY,
    MODEL_QUALITY,
    REQUESTS,
    STATUS_LABELS,
    families,
    has_label,
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


def _scraped(evidence: Evidence, *names_: str) -> tuple[list[dict[str, object]], str]:
    scrapes = [evidence.value(name) for name in names_]
    if all(scrape is None for scrape in scrapes):
        return [], "; ".join(evidence.why_missing(name) for name in names_)
    return families(*scrapes), ""


def _exports(evidence: Evidence, pattern: re.Pattern[str], what: str, *label: str) -> Verdict:
    found, why = _scraped(evidence, "service_metrics", "monitor_metrics")
    if why:
        return unknown(why)
    hits = [f for f in matching(found, pattern) if not label or has_label(f, *label)]
    return judge(bool(hits), f"{what}: {names(hits)}", f"no {what} among the metrics exported")


def exports_latency_histogram(evidence: Evidence) -> Verdict:
    found, why = _scraped(evidence, "service_metrics")
    if why:
        return unknown(why)
    hits = matching(found, LATENCY, "histogram")
    return judge(bool(hits), f"latency histogram {names(hits)}", "no latency histogram exported")


def exports_request_and_error_counters(evidence: Evidence) -> Verdict:
    found, why = _scraped(evidence, "service_metrics")
    if why:
        return unknown(why)
    hits = [f for f in matching(found, REQUESTS, "counter") if has_label(f, *STATUS_LABELS)]
    return judge(
        bool(hits),
        f"request counter with status: {names(hits)}",
        "no request counter labelled by status",
    )


def exports_drift_per_feature(evidence: Evidence) -> Verdict:
    return _exports(evidence, DRIFT, "drift per feature", "feature")


def exports_data_quality(evidence: Evidence) -> Verdict:
    return _exports(evidence, DATA_QUALITY, "data-quality metric")


def exports_model_quality(evidence: Evidence) -> Verdict:
    return _exports(evidence, MODEL_QUALITY, "model-quality metric")


def alert_rules_cover_four_severities(evidence: Evidence) -> Verdict:
    rules = evidence.value("alert_rules")
    if rules is None:
        return fails(evidence.why_missing("alert_rules"))
    present = {str(rule.get("severity")) for rule in rules.get("rules", [])}
    missing = [s for s in SEVERITIES if s not in present]
    if missing:
        return fails(f"no rule for severity {', '.join(missing)}")
    return passes(f"rules for {', '.join(SEVERITIES)}")
