"""The monitors' Prometheus metrics. `GAUGES` are the per-model values alert rules may
watch; the engine evaluates rules on the same values it exports, so a rule means the same
thing to our engine and to Prometheus. Most are computed on windows; those in `POLLED` at
every poll."""

from prometheus_client import CollectorRegistry, Counter, Gauge

from reference.platform.serving.prometheus import use_in_process_metrics

GAUGES: dict[str, str] = {
    "readiness_feature_psi_max": "Largest PSI of any feature against the training bins",
    "readiness_output_kl": "KL divergence of the output distribution from training",
    "readiness_data_quality_score": "Data-quality score of the window, 0 to 1",
    "readiness_schema_changes": "Instances refused for a field the schema lacks or needs",
    "readiness_model_accuracy": "Accuracy on the labelled predictions of the window",
    "readiness_model_f1": "F1 on the labelled predictions of the window",
    "readiness_model_auc": "ROC AUC on the labelled predictions of the window",
    "readiness_latency_p99_ms": "p99 request latency of the window",
    "readiness_latency_p99_ratio": "p99 latency over its baseline",
    "readiness_fairness_dp_ratio_min": "Lowest demographic parity ratio by any attribute",
    "readiness_fairness_eo_difference_max": "Largest equalised odds difference by any attribute",
    "readiness_fairness_eo_lower_max": (
        "Largest 95% lower bound of the equalised odds difference by any attribute"
    ),
    "readiness_fairness_calibration_gap_max": "Widest calibration gap between groups",
    "readiness_fallback_ratio": "Share of instances answered by the CPU fallback since the "
    "previous poll (the accelerator path failed)",
}
POLLED = frozenset({"readiness_fallback_ratio"})
"""Gauges computed at every poll (`MonitorConfig.poll_seconds`) rather than per window."""


class MonitorMetrics:
    def __init__(self) -> None:
        use_in_process_metrics()
        self.registry = CollectorRegistry()
        self.gauges = {
            name: Gauge(name, text, ["model"], registry=self.registry)
            for name, text in GAUGES.items()
        }
        self.psi = Gauge(
            "readiness_feature_psi", "PSI per feature against the training bins",
            ["model", "feature"], registry=self.registry,
        )  # fmt: skip
        self.source_psi = Gauge(
            "readiness_source_psi_max", "Largest feature PSI of one source's own traffic "
            "(an edge device, with window.by_source)", ["model", "source"],
            registry=self.registry,
        )  # fmt: skip
        self.fairness = Gauge(
            "readiness_fairness", "Fairness metric per sensitive attribute",
            ["model", "attribute", "metric"], registry=self.registry,
        )  # fmt: skip
        self.windows = Counter(
            "readiness_monitor_windows", "Windows evaluated", ["model", "monitor"],
            registry=self.registry,
        )  # fmt: skip
        self.rows = Counter(
            "readiness_monitor_rows", "Predictions seen by the monitors", ["model"],
            registry=self.registry,
        )  # fmt: skip
        self.alerts = Gauge(
            "readiness_alerts_firing", "Alerts firing", ["model", "rule", "severity"],
            registry=self.registry,
        )  # fmt: skip
        self.failures = Counter(
            "readiness_monitor_poll_failures", "Monitor polls that failed (see its log)",
            registry=self.registry,
        )  # fmt: skip
        self.actions = Counter(
            "readiness_alert_actions", "Actions taken by alerts", ["action", "result"],
            registry=self.registry,
        )  # fmt: skip

    def publish(self, model: str, values: dict[str, float]) -> None:
        for name, value in values.items():
            self.gauges[name].labels(model).set(value)
