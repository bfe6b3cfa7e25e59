"""`readiness up event-driven` and `readiness down event-driven` (production profile).

`up` starts, each as a process session of its own on 127.0.0.1: the NATS server with
JetStream (its store under READINESS_HOME), the streams, the stage workers (as many of
each as asked: they share their stage's durable consumer), the ingest service and the
monitor service; then writes the target descriptor. `down` stops them by PID, the ingest
first (nothing new comes in) and the broker last (the stages finish what they hold).
"""

import asyncio
import shutil
import sys
from pathlib import Path

import nats
import yaml

from readiness.descriptor import (
    Credentials,
    Endpoints,
    Pattern,
    Registry,
    SLOs,
    TargetDescriptor,
)
from readiness.errors import DeploymentFailed, InvalidInput
from readiness.home import Home
from reference.event_driven.broker import start_broker
from reference.event_driven.ingest import IngestSettings
from reference.event_driven.service import ServiceConfig
from reference.event_driven.streams import ensure_streams
from reference.event_driven.worker import STAGES, PipelineConfig
from reference.platform.audit.pii import default_pii_policy_path
from reference.platform.auth import Role, TenantKey, hash_key, new_key
from reference.platform.lifecycle import SERVED_MODEL
from reference.platform.monitoring.config import load_config
from reference.platform.monitoring.launch import start_monitor
from reference.platform.processes import free_port, launch, running, stop_session, wait_until_ready
from reference.platform.registry import ModelRegistry

ARCHITECTURE = "event-driven"
API_KEY_ENV, ADMIN_KEY_ENV = "READINESS_API_KEY", "READINESS_ADMIN_KEY"
MONITOR_KEY_ENV = "READINESS_MONITOR_ADMIN_KEY"
MULTIPROC_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
STREAMING_SLOS = SLOs(p99_latency_ms=1000.0, error_rate=0.01, availability=0.999)
"""The whitepaper's streaming class: end to end within 100 ms - 1 s."""
DEFAULT_INSTANCES = dict.fromkeys(STAGES, 1)
READY_TIMEOUT_S = 60.0


def folder(home: Home) -> Path:
    return home.root / "deployments" / ARCHITECTURE


def up(
    home: Home,
    profile: str = "production",
    *,
    monitor_config: Path | None = None,
    instances: dict[str, int] | None = None,
) -> Path:
    """Start the pipeline; return the path of its target descriptor."""
    if profile != "production":
        raise InvalidInput("the event-driven architecture has only its production profile yet")
    chosen = {**DEFAULT_INSTANCES, **(instances or {})}
    unknown = sorted(set(chosen) - set(STAGES))
    if unknown or any(n < 1 for n in chosen.values()):
        raise InvalidInput(f"instances: stages are {', '.join(STAGES)}, each at least 1")
    if monitor_config is not None:
        load_config(monitor_config)
    home.ensure()
    place = folder(home)
    place.mkdir(parents=True, exist_ok=True)
    if any(_running(place)):
        raise InvalidInput("the event-driven pipeline is already running; "
                           "run 'readiness down event-driven' first")  # fmt: skip
    if ModelRegistry(home.mlflow_tracking_uri).champion(SERVED_MODEL) is None:
        raise InvalidInput(f"the registry has no {SERVED_MODEL}@champion: train and approve "
                           "a version first")  # fmt: skip
    try:
        return _start(home, place, chosen, monitor_config)
    except DeploymentFailed:
        down(home)
        raise


def _start(home: Home, place: Path, instances: dict[str, int], monitor_config: Path | None) -> Path:
    broker, process = start_broker(place / "nats", place / "nats.log")
    (place / "broker.pid").write_text(str(process.pid))
    asyncio.run(_ensure_streams(broker.url))
    metrics_dir = place / "metrics"
    shutil.rmtree(metrics_dir, ignore_errors=True)  # counters start again with the processes
    metrics_dir.mkdir()
    pipeline = PipelineConfig(
        broker_url=broker.url, tracking_uri=home.mlflow_tracking_uri, model=SERVED_MODEL,
        feature_repo=home.feature_repo, audit_url=home.audit_url,
        pii_policy=default_pii_policy_path(), pii_key_file=home.pii_key,
        cache_dir=place / "models", actions_db=place / "actions.db",
    )  # fmt: skip
    config_path = place / "pipeline.yaml"
    config_path.write_text(yaml.safe_dump(pipeline.model_dump(mode="json"), sort_keys=False))
    for stage, count in instances.items():
        for index in range(count):
            start_worker(place, stage, index)
    keys = {API_KEY_ENV: new_key(), ADMIN_KEY_ENV: new_key(), MONITOR_KEY_ENV: new_key()}
    base = _start_ingest(home, place, broker.url, keys)
    monitor = start_monitor(home, place, base, MONITOR_KEY_ENV, keys[MONITOR_KEY_ENV],
                            monitor_config)  # fmt: skip
    credentials = place / "credentials.env"
    credentials.touch(mode=0o600)
    shared = {name: key for name, key in keys.items() if name != MONITOR_KEY_ENV}
    credentials.write_text("".join(f"{name}={key}\n" for name, key in shared.items()))
    return _descriptor(base, credentials, home, monitor).write(place / "target.yaml")


async def _ensure_streams(url: str) -> None:
    client = await nats.connect(url)
    try:
        await ensure_streams(client.jetstream())
    finally:
        await client.close()


def start_worker(place: Path, stage: str, index: int) -> int:
    """Start one worker of `stage` (pid in `place/worker-STAGE-INDEX.pid`); its pid."""
    log = place / f"worker-{stage}-{index}.log"
    command = [sys.executable, "-m", "reference.event_driven.worker",
               str(place / "pipeline.yaml"), stage]  # fmt: skip
    process = launch(command, log, {MULTIPROC_VARIABLE: str(place / "metrics")})
    (place / f"worker-{stage}-{index}.pid").write_text(str(process.pid))
    return process.pid


def _start_ingest(home: Home, place: Path, broker_url: str, keys: dict[str, str]) -> str:
    models = frozenset({SERVED_MODEL})
    tenants = [
        TenantKey(tenant="demo", key_hash=hash_key(keys[API_KEY_ENV]), models=models),
        TenantKey(tenant="ops", key_hash=hash_key(keys[ADMIN_KEY_ENV]), models=models,
                  roles=frozenset({Role.PREDICT, Role.ADMIN})),
        TenantKey(tenant="monitor", key_hash=hash_key(keys[MONITOR_KEY_ENV]), models=models,
                  roles=frozenset({Role.ADMIN})),
    ]  # fmt: skip
    port = free_port()
    config = ServiceConfig(port=port, ingest=IngestSettings(
        broker_url=broker_url, model=SERVED_MODEL, tenants=tenants, audit_url=home.audit_url,
        tracking_uri=home.mlflow_tracking_uri,
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


def _descriptor(base: str, credentials: Path, home: Home, monitor: str) -> TargetDescriptor:
    return TargetDescriptor(
        name="readiness-event-driven-production", architecture=ARCHITECTURE,
        pattern=Pattern.STREAMING, profile="production", model=SERVED_MODEL,
        slos=STREAMING_SLOS,
        endpoints=Endpoints(
            predict=f"{base}/v1/models/{{model}}/predict", health=f"{base}/healthz",
            ready=f"{base}/readyz", metrics=f"{base}/metrics", openapi=f"{base}/openapi.json",
            feedback=f"{base}/v1/feedback", admin=f"{base}/v1/admin/models/{{model}}",
            monitor_metrics=monitor,
        ),
        credentials=Credentials(api_key_env=API_KEY_ENV, admin_key_env=ADMIN_KEY_ENV,
                                env_file=credentials),
        registry=Registry(uri=home.mlflow_tracking_uri, model=SERVED_MODEL),
        audit_store=home.audit_url,
    )  # fmt: skip


def _pid_files(place: Path) -> list[Path]:
    """In stopping order: the ingest, the workers, the monitor, the broker."""
    order = ["ingest.pid", *sorted(p.name for p in place.glob("worker-*.pid")), "monitor.pid",
             "broker.pid"]  # fmt: skip
    return [place / name for name in order]


def _pid_of(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _running(place: Path) -> list[int]:
    pids = [_pid_of(path) for path in _pid_files(place)]
    return [pid for pid in pids if pid is not None and running(pid)]


def down(home: Home) -> bool:
    """Stop every process of the pipeline; False when nothing was running."""
    place = folder(home)
    stopped = False
    for path in _pid_files(place):
        pid = _pid_of(path)
        path.unlink(missing_ok=True)
        if pid is not None and running(pid):
            stop_session(pid)
            stopped = True
    return stopped
