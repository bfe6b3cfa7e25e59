"""A device's Prometheus metrics, in a registry of their own (with the process's CPU and
memory): names such as `readiness_model_info` are the other architectures' too, and a
process (a test run) may import them all. The cloud's fleet endpoint re-exposes every
device's with a `device` label."""

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, ProcessCollector

REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)


PREDICTIONS = Counter("readiness_edge_predictions", "Instances a device answered, by model "
                      "version and outcome.", ["model", "version", "outcome"],
                      registry=REGISTRY)  # fmt: skip
LATENCY = Histogram("readiness_edge_latency_seconds", "Time to answer a request on the device "
                    "(the model's run and the encoding around it).", ["model"],
                    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25),
                    registry=REGISTRY)  # fmt: skip
MODEL_INFO = Gauge("readiness_model_info", "The model version a device serves, with its "
                   "file's sha256 (1 while served).", ["model", "version", "sha256"],
                   registry=REGISTRY)  # fmt: skip
OUTBOX_DEPTH = Gauge("readiness_edge_outbox_depth", "Telemetry records waiting on the device "
                     "for the link.", registry=REGISTRY)  # fmt: skip
DROPPED = Gauge("readiness_edge_telemetry_dropped", "Telemetry records the full outbox dropped "
                "(oldest first, predictions before sketches), by kind, since the device was "
                "provisioned.", ["kind"], registry=REGISTRY)  # fmt: skip
FORWARDED = Counter("readiness_edge_telemetry_forwarded", "Telemetry records the cloud's broker "
                    "acknowledged.", registry=REGISTRY)  # fmt: skip
LINK_UP = Gauge(
    "readiness_edge_link_up", "1 while the device is connected to the cloud.", registry=REGISTRY
)
REFUSALS = Counter("readiness_edge_release_refusals", "Releases the device refused, by reason "
                   "(signature, hash, smoke test, malformed).", ["reason"],
                   registry=REGISTRY)  # fmt: skip
SWAPS = Counter("readiness_edge_model_swaps", "Times a new verified version started serving.",
                registry=REGISTRY)  # fmt: skip
ROLLBACKS = Counter("readiness_edge_rollbacks", "Times a version was rolled back on probation "
                    "(degraded on the device) to the last good one.",
                    registry=REGISTRY)  # fmt: skip
REFUSAL_REASONS = ("signature", "sha256", "smoke-test", "malformed")
for _reason in REFUSAL_REASONS:  # exported at 0 from the start: a rise is measurable
    REFUSALS.labels(_reason)
