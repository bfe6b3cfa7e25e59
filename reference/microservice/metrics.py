"""The gateway's Prometheus metrics, in a registry of its own (one per app).

`readiness_inferred_instances_total` and `readiness_fallback_instances_total` count, per
model version, the instances the backend answered and those of them the CPU fallback
answered (the accelerator path failed); the monitors turn the two into
`readiness_fallback_ratio`."""

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector

from reference.microservice.backends import Predictions
from reference.platform.serving.prometheus import use_in_process_metrics

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5)


class GatewayMetrics:
    def __init__(self) -> None:
        use_in_process_metrics()
        self.registry = CollectorRegistry()
        labels = ["route", "model", "version", "tenant", "status"]
        self.requests = Counter(
            "readiness_requests", "Requests answered", labels, registry=self.registry
        )
        self.latency = Histogram(
            "readiness_request_latency_seconds", "Request latency", labels[:-1],
            buckets=LATENCY_BUCKETS, registry=self.registry,
        )  # fmt: skip
        self.batch = Histogram(
            "readiness_batch_instances", "Instances per request", ["model"],
            buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256), registry=self.registry,
        )  # fmt: skip
        self.cache = Counter(
            "readiness_cache", "Prediction cache lookups", ["model", "result"],
            registry=self.registry,
        )  # fmt: skip
        self.batch_calls = Gauge(
            "readiness_batch_calls", "Remote inference calls the gateway's batcher made",
            ["model", "version"], registry=self.registry,
        )  # fmt: skip
        self.batched_requests = Gauge(
            "readiness_batch_requests", "Requests those calls carried (fill = requests / calls)",
            ["model", "version"], registry=self.registry,
        )  # fmt: skip
        self.model_info = Gauge(
            "readiness_model_info", "The artifact each routed version serves (value 1)",
            ["model", "version", "sha256"], registry=self.registry,
        )  # fmt: skip
        ProcessCollector(registry=self.registry)  # CPU seconds: the cost of the requests
        self.replicas = Gauge(
            "readiness_replicas", "Running inference replicas", ["model", "version"],
            registry=self.registry,
        )  # fmt: skip
        self.shadow = Counter(
            "readiness_shadow_predictions", "Instances answered by a shadow version",
            ["model", "version", "result"], registry=self.registry,
        )  # fmt: skip
        self.inferred = Counter(
            "readiness_inferred_instances", "Instances answered by the model (cache hits are not)",
            ["model", "version"], registry=self.registry,
        )  # fmt: skip
        self.fallback = Counter(
            "readiness_fallback_instances",
            "Instances answered by the CPU fallback because the accelerator path failed",
            ["model", "version"], registry=self.registry,
        )  # fmt: skip
        self.feedback = Counter(
            "readiness_feedback_labels", "Ground-truth labels received", ["tenant"],
            registry=self.registry,
        )  # fmt: skip

    def answered(self, model: str, version: str, predictions: Predictions) -> None:
        """Count what the backend answered; both series exist from the first answer on, so
        that a fallback count of 0 is a measurement, not a missing series."""
        self.inferred.labels(model, version).inc(len(predictions))
        self.fallback.labels(model, version).inc(predictions.fallback_instances)
