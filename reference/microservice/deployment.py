"""`readiness up microservice` (`readiness down microservice` is `supervision.down`).

`up` generates the tenants' API keys (only their hashes go into the service's
configuration; the keys go into a private credentials file named by the descriptor),
starts the service as its own process session on a free loopback port, waits until it is
ready, starts the monitor service beside it (production: drift, data quality, performance
and fairness monitors with the alert hierarchy, acting through the admin routes with a key
of its own), and writes the target descriptor.
"""

import os
import sys
from pathlib import Path
from typing import Any

import yaml

from readiness.descriptor import (
    Capability,
    Cost,
    Credentials,
    Endpoints,
    FaultHook,
    Pattern,
    Registry,
    Resilience,
    Scale,
    SLOs,
    TargetDescriptor,
)
from readiness.errors import DeploymentFailed, InvalidInput
from readiness.home import Home
from reference.microservice.settings import GatewaySettings, ReplicaOptions, ServiceConfig, Switches
from reference.microservice.supervision import ARCHITECTURE, down, folder, running_pid
from reference.platform.deploy.declarations import platform_declarations
from reference.platform.deploy.deployment_keys import (
    ADMIN_KEY_ENV,
    API_KEY_ENV,
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
from reference.platform.deploy.profile import Profile
from reference.platform.deploy.request_rows import declare_adult
from reference.platform.model.registry import ModelRegistry
from reference.platform.model.served import SERVED_MODEL, SERVED_VARIANT
from reference.platform.monitoring.config import load_config
from reference.platform.monitoring.launch import start_monitor
from reference.platform.serving.ratelimit import RateLimit

SERVICE_MODULE = "reference.microservice.service"
READY_TIMEOUT_S = {Profile.PRODUCTION: 180.0, Profile.PROTOTYPE: 60.0}
SWITCHES = {"auth": "auth", "rate-limit": "rate_limit", "validation": "validation",
            "cache": "cache", "metrics": "metrics", "audit": "prediction_log",
            "explain": "explain", "monitoring": "monitoring"}  # fmt: skip
"""Features `--without` switches off in the gateway, and the `Switches` field of each."""
FEATURES = (*SWITCHES, "batching", "rollback")
"""The production features `--without` can switch off one at a time (the scorer's mutation
tests and benchmark): the gateway's switches, the batcher, the monitors' automatic
rollback."""
PRODUCTION_SLOS = SLOs(p99_latency_ms=100.0, error_rate=0.01, availability=0.999)


def up(
    home: Home,
    profile: Profile,
    alias: str = "champion",
    *,
    faults: bool = False,
    monitor_config: Path | None = None,
    without: frozenset[str] = frozenset(),
) -> Path:
    """Start the microservice in `profile`; return the path of its target descriptor.

    `faults` enables the harness's fault hooks (production only: the prototype has no
    replicas to break); `monitor_config` replaces the monitors' default windows and
    schedules (production only: the prototype has no monitors); `without` switches off
    production features (FEATURES) one by one."""
    unknown = sorted(without - set(FEATURES))
    if unknown:
        raise InvalidInput(f"--without: unknown feature {', '.join(unknown)} (features: "
                           f"{', '.join(FEATURES)})")  # fmt: skip
    if without and profile is Profile.PROTOTYPE:
        raise InvalidInput("--without needs the production profile: the prototype has none")
    if faults and profile is Profile.PROTOTYPE:
        raise InvalidInput("--faults needs the production profile: the prototype has no replicas")
    if monitor_config is not None:
        if profile is Profile.PROTOTYPE:
            raise InvalidInput("--monitor-config needs the production profile: the prototype "
                               "has no monitors")  # fmt: skip
        load_config(monitor_config)  # refuse a bad file before anything starts
    home.ensure()
    place = folder(home)
    place.mkdir(parents=True, exist_ok=True)
    model_file = _prototype_model(home) if profile is Profile.PROTOTYPE else None
    if "rollback" in without:
        monitor_config = _without_rollback(monitor_config, place)
    if profile is Profile.PRODUCTION:
        _require_alias(home, alias)
    running = running_pid(place)
    if running is not None:
        raise InvalidInput(
            f"the microservice is already running (pid {running}); "
            "run 'readiness down microservice' first"
        )
    port = free_port()
    (place / "faults.json").unlink(missing_ok=True)  # no fault survives a restart
    keys = new_keys()
    config = ServiceConfig(
        profile=profile, port=port, model=SERVED_MODEL, alias=alias,
        tracking_uri=home.mlflow_tracking_uri, feature_repo=home.feature_repo,
        model_file=model_file, cache_dir=place / "models",
        prediction_log_url=home.audit_url if profile is Profile.PRODUCTION else None,
        fault_file=place / "faults.json" if faults else None,
        gateway=_gateway_settings(profile, keys, without),
        replicas=ReplicaOptions(max_in_flight=0) if "batching" in without else ReplicaOptions(),
    )  # fmt: skip
    config_path = place / "service.yaml"
    config_path.write_text(yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False))
    credentials = write_credentials(place, keys)
    log = place / "service.log"
    process = launch(
        [sys.executable, "-m", "reference.microservice.service", str(config_path)], log
    )
    (place / "service.pid").write_text(str(process.pid))
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(process, f"{base}/readyz", log, READY_TIMEOUT_S[profile])
        monitor = (
            start_monitor(home, place, base, MONITOR_KEY_ENV, keys[MONITOR_KEY_ENV], monitor_config)
            if profile is Profile.PRODUCTION
            else None
        )
    except DeploymentFailed:
        down(home)
        raise
    hooks = _fault_hooks(base) if faults else []
    descriptor = _descriptor(profile, base, credentials, home, hooks, monitor)
    return descriptor.write(place / "target.yaml")


def _without_rollback(config: Path | None, place: Path) -> Path:
    """The monitor configuration with the automatic rollback switched off."""
    settings = load_config(config).model_dump(mode="json")
    settings["disabled_actions"] = sorted({*settings["disabled_actions"], "rollback"})
    path = place / "monitor-without-rollback.yaml"
    path.write_text(yaml.safe_dump(settings, sort_keys=False))
    return path


def _gateway_settings(
    profile: Profile, keys: dict[str, str], without: frozenset[str] = frozenset()
) -> GatewaySettings:
    if profile is Profile.PROTOTYPE:
        off = Switches(auth=False, rate_limit=False, validation=False, cache=False,
                       metrics=False, prediction_log=False, admin=False, explain=False)  # fmt: skip
        return GatewaySettings(switches=off)
    return GatewaySettings(
        tenants=tenants(keys, SERVED_MODEL),
        limits={"demo": RateLimit(rate=500, burst=1000), "ops": RateLimit(rate=50, burst=100)},
        switches=Switches(**{SWITCHES[f]: False for f in without if f in SWITCHES}),
    )  # fmt: skip


def _fault_hooks(base: str) -> list[FaultHook]:
    """The replica faults are undone by `clear`; a bad rollout by `restore`, which rolls back
    only a degraded champion (so it is safe after the monitors have rolled it back)."""
    target = f"{base}/v1/admin/models/{{model}}/faults"
    return [
        FaultHook(name=name, kind="http", target=target, payload=payload, undo=undo)
        for name, payload, undo in (
            ("accelerator-failure", {"fault": "device_error"}, "clear"),
            ("slow-replica", {"fault": "slow", "delay_ms": 200}, "clear"),
            ("kill-replica", {"fault": "kill_replica"}, "clear"),
            ("clear", {"fault": "none"}, None),
            ("bad-rollout", {"fault": "bad_rollout"}, "restore"),
            ("restore", {"fault": "restore"}, None),
        )
    ]


def _descriptor(
    profile: Profile,
    base: str,
    credentials: Path,
    home: Home,
    hooks: list[FaultHook],
    monitor_metrics: str | None,
) -> TargetDescriptor:
    production = profile is Profile.PRODUCTION
    return TargetDescriptor(
        name=f"readiness-microservice-{profile}",
        architecture=ARCHITECTURE,
        pattern=Pattern.REAL_TIME,
        profile=profile.value,
        model=SERVED_MODEL,
        slos=PRODUCTION_SLOS,
        endpoints=Endpoints(
            predict=f"{base}/v1/models/{{model}}/predict", health=f"{base}/healthz",
            ready=f"{base}/readyz", metrics=f"{base}/metrics" if production else None,
            openapi=f"{base}/openapi.json",
            explain=f"{base}/v1/models/{{model}}/explain" if production else None,
            feedback=f"{base}/v1/feedback" if production else None,
            admin=f"{base}/v1/admin/models/{{model}}" if production else None,
            counterfactual=f"{base}/v1/models/{{model}}/counterfactual" if production else None,
            monitor_metrics=monitor_metrics,
        ),
        credentials=Credentials(api_key_env=API_KEY_ENV, admin_key_env=ADMIN_KEY_ENV,
                                env_file=credentials) if production else Credentials(),
        registry=Registry(uri=home.mlflow_tracking_uri, model=SERVED_MODEL) if production else None,
        audit_store=home.audit_url if production else None,
        data=declare_adult(home),
        fault_hooks=hooks,
        **(_declarations(home, credentials.parent) if production else {}),
    )  # fmt: skip


def _declarations(home: Home, place: Path) -> dict[str, Any]:
    """What the production deployment declares beyond its endpoints: its scale, timeouts and
    budget, and what every production reference deployment declares."""
    options = ReplicaOptions()
    return {
        "scale": Scale(requests_per_day=50_000, peak_rps=200, max_replicas=options.max_replicas,
                       capabilities=[Capability.LOAD_BALANCER, Capability.AUTOSCALING,
                                     Capability.REQUEST_QUEUE, Capability.CACHING]),
        "resilience": Resilience(timeout_s=options.timeout_s, retries=options.attempts - 1),
        "cost": Cost(cpu_seconds_per_1k=10.0),
        **platform_declarations(home, [place / "service.log", place / "monitor.log"]),
    }  # fmt: skip


def _prototype_model(home: Home) -> Path:
    candidates = sorted(home.models.glob(f"train-*/{SERVED_VARIANT}.onnx"), key=os.path.getmtime)
    if not candidates:
        raise InvalidInput(f"no trained model under {home.models}: run 'readiness train' first")
    return candidates[-1]


def _require_alias(home: Home, alias: str) -> None:
    registry = ModelRegistry(home.mlflow_tracking_uri)
    registry.check_reachable()
    try:
        registry.client.get_model_version_by_alias(SERVED_MODEL, alias)
    except Exception as error:
        raise InvalidInput(
            f"the registry has no {SERVED_MODEL}@{alias}: train and approve a version first"
        ) from error
