"""The deployment's `/metrics`: every stage process's counters added up (Prometheus
multiprocess mode), and what only the broker knows, asked at scrape time: each consumer's
lag (messages not yet delivered), its unacknowledged messages and its redeliveries, and
each stream's size (the dead-letter stream's is the count of poison messages)."""

import os
from pathlib import Path

from nats.js.client import JetStreamContext
from prometheus_client import CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily

from reference.event_driven.streams import ALL, CONSUMERS
from reference.platform.deploy.processes import running

MULTIPROC_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


async def _broker_families(js: JetStreamContext, durables: list[str]) -> list[GaugeMetricFamily]:
    lag = GaugeMetricFamily("readiness_stream_consumer_lag", "Messages not yet delivered to "
                            "the stage's consumer.", labels=["stage"])  # fmt: skip
    pending = GaugeMetricFamily("readiness_stream_ack_pending", "Messages delivered to the "
                                "stage and not yet acknowledged.", labels=["stage"])  # fmt: skip
    redelivered = GaugeMetricFamily("readiness_stream_consumer_redelivered",
                                    "Messages delivered again, now in flight.",
                                    labels=["stage"])  # fmt: skip
    size = GaugeMetricFamily("readiness_stream_messages", "Messages held by each stream.",
                             labels=["stream"])  # fmt: skip
    for durable in durables:
        try:
            info = await js.consumer_info(CONSUMERS[durable].name, durable)
        except Exception:
            continue  # not created yet, or the broker is away: a gap, not a zero
        lag.add_metric([durable], float(info.num_pending or 0))
        pending.add_metric([durable], float(info.num_ack_pending or 0))
        redelivered.add_metric([durable], float(info.num_redelivered or 0))
    for spec in ALL:
        try:
            stream = await js.stream_info(spec.name)
        except Exception:
            continue
        size.add_metric([spec.name], float(stream.state.messages))
    return [lag, pending, redelivered, size]


class _Fixed:
    def __init__(self, families: list[GaugeMetricFamily]) -> None:
        self.families = families

    def collect(self) -> list[GaugeMetricFamily]:
        return self.families


def forget_dead_processes(folder: Path) -> None:
    """Drop the live gauges of processes that are gone (a killed worker no longer counts
    as a replica, nor serves a model): Prometheus's multiprocess mode leaves that to us."""
    for path in folder.glob("gauge_live*_*.db"):
        pid = int(path.stem.rsplit("_", 1)[1])
        if not running(pid):
            multiprocess.mark_process_dead(pid, str(folder))  # type: ignore[no-untyped-call]


async def exposition(js: JetStreamContext | None, durables: list[str]) -> str:
    """Without JetStream (the prototype) there are no consumers or streams to ask about."""
    registry = CollectorRegistry()
    if folder := os.environ.get(MULTIPROC_VARIABLE):
        forget_dead_processes(Path(folder))
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    if js is not None:
        registry.register(_Fixed(await _broker_families(js, durables)))
    return generate_latest(registry).decode()
