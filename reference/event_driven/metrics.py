"""The pipeline's Prometheus metrics. Stage processes write them in multiprocess mode
(`PROMETHEUS_MULTIPROC_DIR`); the deployment's metrics endpoint adds them up and adds what
only the broker knows (consumer lag, pending acks).

Beside the stages' counters: the workers alive per stage (the stream's replicas), each
process's CPU seconds (what the pipeline costs), the model each inference worker serves
with its artifact's sha256, and the ingest's requests by route and status."""

import os
import time

from prometheus_client import Counter, Gauge, Histogram

DESCRIPTIONS = {
    "processed": "Messages a stage finished (output published and input acked).",
    "published": "Outputs a stage published.",
    "duplicates": "Outputs the broker recognised as already published (a redelivery's copy).",
    "dead_lettered": "Messages a stage gave up on, to its dead-letter subject with the reason.",
    "redelivered": "Messages delivered to a stage again (after a crash, a timeout or a nak).",
    "failures": "Messages whose processing raised (each retried, or dead-lettered).",
}
COUNTERS = {
    field: Counter(f"readiness_stream_{field}", text, ["stage", "worker"])
    for field, text in DESCRIPTIONS.items()
}
END_TO_END = Histogram(
    "readiness_stream_end_to_end_seconds",
    "Event time to action time of each action taken.",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)


def stage_counters(stage: str) -> dict[str, Counter]:
    """One counter per field of `StageCounters`, labelled with the stage and the worker's
    pid (how the work spreads over a stage's consumers)."""
    worker = str(os.getpid())
    return {field: counter.labels(stage, worker) for field, counter in COUNTERS.items()}


REPLICAS = Gauge("readiness_stream_replicas", "Workers alive per stage (consumers of its "
                 "durable consumer).", ["stage"], multiprocess_mode="livesum")  # fmt: skip
CPU_SECONDS = Counter("readiness_stream_process_cpu_seconds", "CPU seconds spent by the "
                      "pipeline's processes, by stage (ingest included).", ["stage"])  # fmt: skip
MODEL_INFO = Gauge("readiness_model_info", "The model version an inference worker serves, "
                   "with its artifact's sha256 (1 while served).",
                   ["model", "version", "sha256"], multiprocess_mode="livemax")  # fmt: skip
INGEST_REQUESTS = Counter("readiness_ingest_requests", "Requests to the ingest by route and "
                          "status.", ["route", "status"])  # fmt: skip
INGEST_LATENCY = Histogram("readiness_ingest_request_duration_seconds", "Time to answer an "
                           "ingest request (accepted means on the stream, not acted on).",
                           ["route"], buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0,
                                               2.5, 5.0))  # fmt: skip


class CpuMeter:
    """Adds this process's CPU seconds since the last call to `CPU_SECONDS`."""

    def __init__(self, stage: str) -> None:
        self.counter = CPU_SECONDS.labels(stage)
        self.seen = time.process_time()

    def tick(self) -> None:
        now = time.process_time()
        self.counter.inc(max(now - self.seen, 0.0))
        self.seen = now
