"""`readiness up event-driven` and `readiness down event-driven`.

Production: each as a process session of its own on 127.0.0.1, the NATS server with
JetStream (its store under READINESS_HOME), the streams, the stage workers (as many of
each as asked: they share their stage's durable consumer; two inference workers by
default, so one can die while the other goes on, and an autoscaler that adds inference
workers while events wait, up to four, unless the instances are fixed), the ingest
service and the monitor service; with `faults`, the fault hooks
(`reference.event_driven.faults`). Prototype: a NATS server without JetStream and one
process, the ingest with every stage inline (`reference.event_driven.prototype`), no API
keys, no monitors, no hooks. Either way the
target descriptor is written last. `down` stops them by PID, the ingest first (nothing
new comes in) and the broker last (the stages finish what they hold).
"""

import asyncio
import shlex
import shutil
import sys
from pathlib import Path
from typing import Any

import nats
import yaml

from readiness.descriptor import (
    Capability,
    Cost,
    FaultHook,
    Pattern,
    Resilience,
    Scale,
    SLOs,
    TargetDescriptor,
)
from readiness.errors import InvalidInput
from readiness.home import Home
from reference.event_driven.autoscaler import MAX_WORKERS
from reference.event_driven.ingest import IngestSettings
from reference.event_driven.service import ServiceConfig
from reference.event_driven.streams import ACK_WAIT_S, MAX_DELIVER, ensure_streams
from reference.event_driven.supervision import (
    ARCHITECTURE,
    MULTIPROC_VARIABLE,
    down,
    folder,
    running_pids,
    start_autoscaler,
    start_worker,
)
from reference.event_driven.worker import STAGES, PipelineConfig
from reference.platform.audit.pii import default_pii_policy_path
from reference.platform.deploy.broker import start_broker
from reference.platform.deploy.declarations import answering_descriptor, platform_declarations
from reference.platform.deploy.deployment_keys import (
    MONITOR_KEY_ENV,
    new_keys,
    tenants,
    write_credentials,
)
from reference.platform.deploy.processes import (
    free_port,
    launch,
    wait_until_ready,
)
from reference.platform.deploy.profile import profile_of
from reference.platform.model.registry import ModelRegistry
from reference.platform.model.served import SERVED_MODEL
from reference.platform.monitoring.config import load_config
from reference.platform.monitoring.launch import start_monitor
from reference.platform.serving.auth import TenantKey
from reference.platform.serving.ratelimit import RateLimit

STREAMING_SLOS = SLOs(p99_latency_ms=1000.0, error_rate=0.01, availability=0.999)
"""The whitepaper's streaming class: end to end within 100 ms - 1 s."""
DEFAULT_INSTANCES = {"enrich": 1, "infer": 2, "sink": 1, "action": 1}
DEFAULT_LIMITS = {"demo": RateLimit(rate=500, burst=1000), "ops": RateLimit(rate=50, burst=100)}
"""Events a second per tenant at the ingest (the same quotas as the microservice's)."""
READY_TIMEOUT_S = 60.0


def up(
    home: Home,
    profile: str = "production",
    *,
    monitor_config: Path | None = None,
    instances: dict[str, int] | None = None,
    faults: bool = False,
    limits: dict[str, RateLimit] | None = None,
) -> Path:
    """Start the pipeline; return the path of its target descriptor. `instances` fixes the
    workers per stage (no autoscaler); `limits` replaces the tenants' rate limits (a
    benchmark of the pipeline's capacity passes none)."""
    profile_of(profile)
    if profile == "prototype" and (faults or monitor_config or instances):
        raise InvalidInput("the prototype is one process without monitors or fault hooks: "
                           "--faults, --monitor-config and instances are production's")  # fmt: skip
    chosen = {**DEFAULT_INSTANCES, **(instances or {})}
    unknown = sorted(set(chosen) - set(STAGES))
    if unknown or any(n < 1 for n in chosen.values()):
        raise InvalidInput(f"instances: stages are {', '.join(STAGES)}, each at least 1")
    if monitor_config is not None:
        load_config(monitor_config)
    home.ensure()
    place = folder(home)
    place.mkdir(parents=True, exist_ok=True)
    if any(running_pids(place)):
        raise InvalidInput("the event-driven pipeline is already running; "
                           "run 'readiness down event-driven' first")  # fmt: skip
    if ModelRegistry(home.mlflow_tracking_uri).champion(SERVED_MODEL) is None:
        raise InvalidInput(f"the registry has no {SERVED_MODEL}@champion: train and approve "
                           "a version first")  # fmt: skip
    try:
        if profile == "prototype":
            return _start_prototype(home, place)
        return _start(
            home,
            place,
            chosen,
            monitor_config,
            faults,
            autoscale=instances is None,
            limits=DEFAULT_LIMITS if limits is None else limits,
        )
    except BaseException:  # whatever failed half-way, nothing started is left running
        down(home)
        raise


def _pipeline(home: Home, place: Path, broker_url: str, production: bool,
              faults: bool) -> Path:  # fmt: skip
    """Write the stages' configuration; its path."""
    metrics_dir = place / "metrics"
    shutil.rmtree(metrics_dir, ignore_errors=True)  # counters start again with the processes
    metrics_dir.mkdir()
    fault_dir = place / "faults" if faults else None
    if fault_dir is not None:
        fault_dir.mkdir(exist_ok=True)
    pipeline = PipelineConfig(
        broker_url=broker_url, tracking_uri=home.mlflow_tracking_uri, model=SERVED_MODEL,
        feature_repo=home.feature_repo, audit_url=home.audit_url,
        pii_policy=default_pii_policy_path(), pii_key_file=home.pii_key,
        cache_dir=place / "models", actions_db=place / "actions.db", monitoring=production,
        fault_dir=fault_dir,
    )  # fmt: skip
    path = place / "pipeline.yaml"
    path.write_text(yaml.safe_dump(pipeline.model_dump(mode="json"), sort_keys=False))
    return path


def _start(home: Home, place: Path, instances: dict[str, int], monitor_config: Path | None,
           faults: bool, autoscale: bool, limits: dict[str, RateLimit]) -> Path:  # fmt: skip
    broker, process = start_broker(place / "nats", place / "nats.log")
    (place / "broker.pid").write_text(str(process.pid))
    asyncio.run(_ensure_streams(broker.url))
    _pipeline(home, place, broker.url, production=True, faults=faults)
    for stage, count in instances.items():
        for index in range(count):
            start_worker(place, stage, index)
    if autoscale:
        start_autoscaler(place)
    keys = new_keys()
    base = _start_ingest(home, place, broker.url, tenants(keys, SERVED_MODEL), limits=limits)
    monitor = start_monitor(home, place, base, MONITOR_KEY_ENV, keys[MONITOR_KEY_ENV],
                            monitor_config)  # fmt: skip
    credentials = write_credentials(place, keys)
    hooks = fault_hooks(place) if faults else []
    return _descriptor(base, home, credentials, monitor, hooks).write(place / "target.yaml")


def _start_prototype(home: Home, place: Path) -> Path:
    broker, process = start_broker(place / "nats", place / "nats.log", jetstream=False)
    (place / "broker.pid").write_text(str(process.pid))
    pipeline = _pipeline(home, place, broker.url, production=False, faults=False)
    base = _start_ingest(home, place, broker.url, [], inline_pipeline=pipeline)
    return _descriptor(base, home).write(place / "target.yaml")


async def _ensure_streams(url: str) -> None:
    client = await nats.connect(url)
    try:
        await ensure_streams(client.jetstream())
    finally:
        await client.close()


def _start_ingest(home: Home, place: Path, broker_url: str, tenants: list[TenantKey],
                  inline_pipeline: Path | None = None,
                  limits: dict[str, RateLimit] | None = None) -> str:  # fmt: skip
    """The ingest service (with the stages inline for the prototype); its base URL."""
    port = free_port()
    production = inline_pipeline is None
    config = ServiceConfig(port=port, inline_pipeline=inline_pipeline, ingest=IngestSettings(
        broker_url=broker_url, model=SERVED_MODEL, tenants=tenants, audit_url=home.audit_url,
        tracking_uri=home.mlflow_tracking_uri if production else None,
        actions_db=place / "actions.db", jetstream=production,
        monitor_cache=place / "ingest-references" if production else None,
        limits=limits or {},
    ))  # fmt: skip
    path = place / "ingest.yaml"
    path.write_text(yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False))
    log = place / "ingest.log"
    process = launch([sys.executable, "-m", "reference.event_driven.service", str(path)], log,
                     {MULTIPROC_VARIABLE: str(place / "metrics")})  # fmt: skip
    (place / "ingest.pid").write_text(str(process.pid))
    base = f"http://127.0.0.1:{port}"
    wait_until_ready(process, f"{base}/readyz", log, READY_TIMEOUT_S)
    return base


def fault_hooks(place: Path) -> list[FaultHook]:
    """Shell hooks: commands of `reference.event_driven.faults` on this deployment."""
    command = f"{shlex.quote(sys.executable)} -m reference.event_driven.faults " \
              f"{shlex.quote(str(place))}"  # fmt: skip

    def hook(name: str, arguments: str = "", undo: str | None = None) -> FaultHook:
        return FaultHook(name=name, kind="shell", target=f"{command} {name} {arguments}".strip(),
                         undo=undo)  # fmt: skip

    return [
        hook("kill-consumer", "infer", undo="restart-consumers"),
        hook("restart-consumers"),
        hook("restart-broker", "5", undo="start-broker"),
        hook("start-broker"),
        hook("poison", "5"),
    ]


def _descriptor(
    base: str,
    home: Home,
    credentials: Path | None = None,
    monitor: str | None = None,
    hooks: list[FaultHook] | None = None,
) -> TargetDescriptor:
    """The production descriptor when `credentials` are given, else the prototype's."""
    declared = _declarations(home, credentials.parent) if credentials is not None else {}
    return answering_descriptor(ARCHITECTURE, Pattern.STREAMING, STREAMING_SLOS, base, home,
                                credentials, monitor, hooks or [], declared)  # fmt: skip


def _declarations(home: Home, place: Path) -> dict[str, Any]:
    """Scale out by adding consumers (the broker queues and spreads the events); a stage's
    retries are the broker's redeliveries, each after the ack wait."""
    logs = [place / "ingest.log", place / "monitor.log",
            *sorted(place.glob("worker-*.log"))]  # fmt: skip
    return {
        "scale": Scale(requests_per_day=50_000, peak_rps=200, max_replicas=MAX_WORKERS,
                       capabilities=[Capability.REQUEST_QUEUE, Capability.LOAD_BALANCER,
                                     Capability.AUTOSCALING]),
        "resilience": Resilience(timeout_s=ACK_WAIT_S, retries=MAX_DELIVER - 1),
        "cost": Cost(cpu_seconds_per_1k=10.0),
        **platform_declarations(home, logs),
    }  # fmt: skip
