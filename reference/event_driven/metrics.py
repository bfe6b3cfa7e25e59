"""The pipeline's Prometheus metrics. Stage processes write them in multiprocess mode
(`PROMETHEUS_MULTIPROC_DIR`); the deployment's metrics endpoint adds them up and adds what
only the broker knows (consumer lag, pending acks)."""

import os

from prometheus_client import Counter, Histogram

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
