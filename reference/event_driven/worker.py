"""One stage as a process: `python -m reference.event_driven.worker CONFIG.yaml STAGE`.

Each stage runs as its own process, as many of each as the load needs (they share the
stage's durable consumer, so the broker spreads the messages over them). SIGTERM stops the
loop after the batch in hand: what was fetched is acked, retried or dead-lettered, never
lost. The stage's counters go to Prometheus in multiprocess mode (the deployment's
metrics endpoint adds up every process's files), with the stage and the process's pid as
labels.
"""

import asyncio
import logging
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from readiness.documents import load_document
from readiness.errors import InvalidConfiguration, InvalidInput
from reference.event_driven.stage import Stage, StageCounters, StageRunner

if TYPE_CHECKING:
    from reference.platform.audit.pii import PiiRedactor
    from reference.platform.model.schema import FeatureSchema
    from reference.platform.monitoring.recorder import SketchRecorder

STAGES = ("enrich", "infer", "sink", "action")
METRICS_EVERY_S = 1.0


class PipelineConfig(BaseModel):
    """What every stage process of one deployment reads (written by `readiness up`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    broker_url: str
    tracking_uri: str
    model: str
    feature_repo: Path | None = None
    audit_url: str
    pii_policy: Path
    pii_key_file: Path
    cache_dir: Path
    actions_db: Path
    batch_size: int = 64
    max_in_flight: int = 256
    monitoring: bool = True
    fault_dir: Path | None = None
    """Where fault hooks ask a stage to hold a batch (`readiness up --faults`); None: no
    fault hooks."""


def load_config(path: Path) -> PipelineConfig:
    return load_document(path, PipelineConfig, InvalidConfiguration, "pipeline configuration")


def build_stage(name: str, config: PipelineConfig) -> Stage:  # type: ignore[type-arg]
    """The named stage, with what it needs opened lazily in its `start`."""
    from reference.platform.model.schema import load_schema

    schema = load_schema()
    if name == "enrich":
        from reference.event_driven.enrich import Enrich

        return Enrich(schema, config.feature_repo)
    if name == "infer":
        from reference.event_driven.infer import Infer

        return Infer(schema, config.tracking_uri, config.model, config.cache_dir,
                     _recorder(config) if config.monitoring else None)  # fmt: skip
    if name == "sink":
        from reference.event_driven.sink import Sink
        from reference.platform.audit.prediction_log import PredictionLog

        return Sink(PredictionLog(config.audit_url, _redactor(config, schema)))
    if name == "action":
        from reference.event_driven.action import Act, ActionStore
        from reference.event_driven.metrics import END_TO_END

        return Act(ActionStore(config.actions_db), END_TO_END.observe)
    raise InvalidInput(f"STAGE must be one of {', '.join(STAGES)}, not '{name}'")


def _recorder(config: PipelineConfig) -> "SketchRecorder":
    from reference.platform.monitoring.recorder import registry_recorder

    return registry_recorder(config.tracking_uri, config.audit_url,
                             config.cache_dir / "monitor-references", "stream")  # fmt: skip


def _redactor(config: PipelineConfig, schema: "FeatureSchema") -> "PiiRedactor":
    from reference.platform.audit.pii import PiiRedactor, load_pii_key, load_pii_policy

    key = load_pii_key(config.pii_key_file)
    return PiiRedactor(load_pii_policy(config.pii_policy), schema, key)


async def _export(runner: StageRunner, stage: str) -> None:  # type: ignore[type-arg]
    """Copy the runner's counters into Prometheus once a second (and once at the end)."""
    from reference.event_driven.metrics import REPLICAS, CpuMeter, stage_counters

    exported = StageCounters()
    counters = stage_counters(stage)
    REPLICAS.labels(stage).set(1)
    cpu = CpuMeter(stage)
    while True:
        cpu.tick()
        for field, counter in counters.items():
            now, before = getattr(runner.counters, field), getattr(exported, field)
            if now > before:
                counter.inc(now - before)
                setattr(exported, field, now)
        if runner.stopping.is_set():
            return
        await asyncio.sleep(METRICS_EVERY_S)


async def serve(stage_name: str, config: PipelineConfig) -> None:
    from reference.event_driven.hold import HoldSwitch

    hold = HoldSwitch(config.fault_dir) if config.fault_dir is not None else None
    runner = StageRunner(build_stage(stage_name, config), config.broker_url,
                         config.batch_size, config.max_in_flight, hold)  # fmt: skip
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, runner.stopping.set)
    exporter = asyncio.create_task(_export(runner, stage_name))
    await runner.run()
    await exporter


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if len(argv) != 3 or argv[2] not in STAGES:
        sys.stderr.write(f"usage: python -m reference.event_driven.worker CONFIG.yaml "
                         f"{{{','.join(STAGES)}}}\n")  # fmt: skip
        return 2
    if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        sys.stderr.write("PROMETHEUS_MULTIPROC_DIR is not set: the deployment sets it\n")
        return 2
    asyncio.run(serve(argv[2], load_config(Path(argv[1]))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
