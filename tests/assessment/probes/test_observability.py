"""The observability probes beyond latency and requests (those are `test_signals`): a
metrics endpoint and alert rules declared, drift by feature, data and model quality found
on the service or its monitor, and rules for all four severities; one case per outcome."""

from typing import Any

import pytest

from assessment.collectors.live import parse_families
from assessment.probes.observability import (
    alert_rules_cover_four_severities,
    declares_metrics_endpoint,
    defines_alert_rules,
    exports_data_quality,
    exports_drift_per_feature,
    exports_model_quality,
)
from readiness.bundle import Outcome
from tests.assessment.probes.facts import Case, Missing, judged_as_expected

MONITOR = parse_families("""# TYPE feature_psi gauge
feature_psi{feature="age"} 0.02
# TYPE data_quality_missing_ratio gauge
data_quality_missing_ratio 0.0
# TYPE model_auc gauge
model_auc 0.87
""")
SERVICE = parse_families("""# TYPE http_requests_total counter
http_requests_total{status="200"} 4
# TYPE overall_drift gauge
overall_drift 0.1
""")
UNSCRAPED = Missing("no metrics endpoint declared")


def rules(*severities: str) -> dict[str, Any]:
    return {
        "file": "alerts.yml",
        "rules": [{"alert": f"A{i}", "severity": s} for i, s in enumerate(severities)],
    }


CASES: dict[str, Case] = {
    "a metrics endpoint is declared": (
        declares_metrics_endpoint, {"descriptor": {"endpoints": {"metrics": "http://h/metrics"}}},
        Outcome.PASS, "metrics at http://h/metrics"),
    "no metrics endpoint is declared": (
        declares_metrics_endpoint, {"descriptor": {"endpoints": {}}},
        Outcome.FAIL, "no metrics endpoint declared"),
    "no descriptor to read": (
        declares_metrics_endpoint, {}, Outcome.NOT_AVAILABLE, "no descriptor evidence"),
    "alert rules are defined": (
        defines_alert_rules, {"alert_rules": rules("critical", "low")},
        Outcome.PASS, "2 alert rules in alerts.yml"),
    "the rules file holds no rule": (
        defines_alert_rules, {"alert_rules": rules()}, Outcome.FAIL, "no alert rule in alerts.yml"),
    "no rules file is declared": (
        defines_alert_rules, {"alert_rules": Missing("no alert rules file declared")},
        Outcome.FAIL, "no alert rules file declared"),
    "drift by feature on the monitor": (
        exports_drift_per_feature, {"service_metrics": SERVICE, "monitor_metrics": MONITOR},
        Outcome.PASS, "drift per feature: feature_psi"),
    "drift without a feature label": (
        exports_drift_per_feature, {"service_metrics": SERVICE},
        Outcome.FAIL, "no drift per feature among the metrics exported"),
    "drift under the name the descriptor maps": (
        exports_drift_per_feature,
        {"service_metrics": SERVICE, "descriptor": {"conventions": {"metrics": {
            "drift": "overall_drift"}}}},
        Outcome.PASS, "drift per feature: overall_drift (as the descriptor maps it)"),
    "neither the service nor a monitor scraped": (
        exports_drift_per_feature, {"service_metrics": UNSCRAPED, "monitor_metrics": UNSCRAPED},
        Outcome.NOT_AVAILABLE, "no metrics endpoint declared; no metrics endpoint declared"),
    "data quality on the monitor": (
        exports_data_quality, {"service_metrics": SERVICE, "monitor_metrics": MONITOR},
        Outcome.PASS, "data-quality metric: data_quality_missing_ratio"),
    "no data-quality metric": (
        exports_data_quality, {"service_metrics": SERVICE},
        Outcome.FAIL, "no data-quality metric among the metrics exported"),
    "model quality on the monitor": (
        exports_model_quality, {"monitor_metrics": MONITOR},
        Outcome.PASS, "model-quality metric: model_auc"),
    "a mapped model-quality name not exported": (
        exports_model_quality,
        {"service_metrics": SERVICE, "descriptor": {"conventions": {"metrics": {
            "model_quality": "credit_gini"}}}},
        Outcome.FAIL, "the descriptor maps model_quality to credit_gini, which is not exported"),
    "rules for all four severities": (
        alert_rules_cover_four_severities,
        {"alert_rules": rules("critical", "high", "medium", "low")},
        Outcome.PASS, "rules for critical, high, medium, low"),
    "rules for two severities": (
        alert_rules_cover_four_severities, {"alert_rules": rules("critical", "high")},
        Outcome.FAIL, "no rule for severity medium, low"),
}  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_each_observability_probe_judges_its_evidence(case: str) -> None:
    judged_as_expected(CASES[case])
