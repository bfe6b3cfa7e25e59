"""`readiness up edge` and `readiness down edge`: a simulated fleet and its cloud, locally.

Production. The cloud: a NATS server with JetStream (the release channel and the telemetry
stream), the releaser (the registry's champion, signed, to the channel), the collector
(telemetry into the prediction log and the monitor store), the monitor service, and the
fleet API. The fleet: three devices, each its own process serving on one thread, each
reaching the cloud only through its link (a TCP proxy a fault hook can cut), each pinning
the release key. Prototype: the same cloud without releaser, monitors or keys, and devices
serving the FP32 student copied onto them by hand. Either way the target descriptor is
written last; `down` stops everything by PID.
"""

import asyncio
import shlex
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import mlflow
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
from readiness.errors import DeploymentFailed, InvalidInput
from readiness.home import Home
from reference.edge.channel import ensure_channel, latest_entry
from reference.edge.collector import CollectorConfig
from reference.edge.fleet import FleetConfig
from reference.edge.releaser import ReleaserConfig
from reference.edge.runtime import DeviceConfig
from reference.edge.signing import PUBLIC_KEY_FILE, ensure_keys
from reference.edge.supervision import (
    ARCHITECTURE,
    OWN_METRICS,
    down,
    folder,
    running_pids,
    start_device,
    start_link,
)
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

DEVICES = ("edge-1", "edge-2", "edge-3")
EDGE_SLOS = SLOs(p99_latency_ms=50.0, error_rate=0.01, availability=0.999)
"""The whitepaper's edge class: an answer within 50 ms on the device."""
DEFAULT_LIMITS = {"demo": RateLimit(rate=500, burst=1000), "ops": RateLimit(rate=50, burst=100)}
"""Instances a second per tenant at the fleet API (the same quotas as the other
architectures')."""
RELEASE_TIMEOUT_S = 60.0


def up(
    home: Home,
    profile: str = "production",
    *,
    monitor_config: Path | None = None,
    faults: bool = False,
    devices: tuple[str, ...] = DEVICES,
) -> Path:
    """Start the cloud and the fleet; return the path of the target descriptor."""
    profile_of(profile)
    if profile == "prototype" and (faults or monitor_config):
        raise InvalidInput("the prototype has no monitors nor fault hooks: --faults and "
                           "--monitor-config are production's")  # fmt: skip
    if monitor_config is not None:
        load_config(monitor_config)
    home.ensure()
    place = folder(home)
    place.mkdir(parents=True, exist_ok=True)
    if any(running_pids(place)):
        raise InvalidInput("the edge fleet is already running; run 'readiness down edge' first")
    registry = ModelRegistry(home.mlflow_tracking_uri)
    champion = registry.champion(SERVED_MODEL)
    if champion is None:
        raise InvalidInput(f"the registry has no {SERVED_MODEL}@champion: train and approve "
                           "a version first")  # fmt: skip
    try:
        return _start(home, place, profile == "production", devices, monitor_config, faults,
                      champion.version)  # fmt: skip
    except BaseException:  # whatever failed half-way, nothing started is left running
        down(home)
        raise


def _start(home: Home, place: Path, production: bool, devices: tuple[str, ...],
           monitor_config: Path | None, faults: bool, champion: str) -> Path:  # fmt: skip
    for stale in ("devices", "links", "nats"):  # a fleet starts from scratch: what an earlier
        shutil.rmtree(place / stale, ignore_errors=True)  # one left unsent is not this one's
    (place / "devices").mkdir()
    broker, process = start_broker(place / "nats", place / "nats.log")
    (place / "broker.pid").write_text(str(process.pid))
    asyncio.run(_ensure_channel(broker.url))
    _start_service(place, "collector", CollectorConfig(broker_url=broker.url,
                   audit_url=home.audit_url, model=SERVED_MODEL))  # fmt: skip
    if production:
        private_key, public_key = ensure_keys(home.root / "edge-keys")
        _start_service(place, "releaser", ReleaserConfig(
            broker_url=broker.url, tracking_uri=home.mlflow_tracking_uri, model=SERVED_MODEL,
            cache_dir=place / "releases", private_key=private_key))  # fmt: skip
        asyncio.run(_wait_for_release(broker.url, place))
        model_file = None
    else:
        public_key = None
        model_file = _copy_by_hand(home, place, champion)
    bases = {}
    for device in devices:
        bases[device] = _start_device(home, place, device, broker.port, public_key, model_file)
    keys = new_keys()
    base = _start_fleet(
        home, place, bases, tenants(keys, SERVED_MODEL) if production else [], production
    )
    if not production:
        return _descriptor(base, home).write(place / "target.yaml")
    monitor = start_monitor(home, place, base, MONITOR_KEY_ENV, keys[MONITOR_KEY_ENV],
                            _per_device(place, monitor_config))  # fmt: skip
    credentials = write_credentials(place, keys)
    hooks = fault_hooks(place, devices) if faults else []
    return _descriptor(base, home, credentials, monitor, hooks).write(place / "target.yaml")


def _per_device(place: Path, given: Path | None) -> Path:
    """The monitor configuration given (or the default) judging drift per device too: a
    drift on one device of three is diluted in the fleet's window."""
    config = load_config(given)
    window = config.window.model_copy(update={"by_source": True})
    path = place / "monitor-config.yaml"
    path.write_text(yaml.safe_dump(config.model_copy(update={"window": window})
                                   .model_dump(mode="json"), sort_keys=False))  # fmt: skip
    return path


async def _ensure_channel(url: str) -> None:
    client = await nats.connect(url)
    try:
        await ensure_channel(client.jetstream())
    finally:
        await client.close()


async def _wait_for_release(url: str, place: Path) -> None:
    """Until the releaser published the champion (devices start with nothing to serve)."""
    client = await nats.connect(url)
    try:
        deadline = time.monotonic() + RELEASE_TIMEOUT_S
        while time.monotonic() < deadline:
            if await latest_entry(client.jetstream(), SERVED_MODEL) is not None:
                return
            await asyncio.sleep(0.5)
    finally:
        await client.close()
    log = (place / "releaser.log").read_text(errors="replace")[-2000:]
    raise DeploymentFailed(f"the releaser published no release within {RELEASE_TIMEOUT_S:.0f} s: "
                           f"{log}")  # fmt: skip


def _start_service(place: Path, name: str, config: Any) -> None:
    path = place / f"{name}.yaml"
    path.write_text(yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False))
    process = launch([sys.executable, "-m", f"reference.edge.{name}", str(path)],
                     place / f"{name}.log", OWN_METRICS)  # fmt: skip
    (place / f"{name}.pid").write_text(str(process.pid))


def _copy_by_hand(home: Home, place: Path, champion: str) -> Path:
    """The prototype's model: the champion's FP32 student file, copied as it is."""
    client = ModelRegistry(home.mlflow_tracking_uri).client
    version = client.get_model_version(SERVED_MODEL, champion)
    target = place / "copied"
    shutil.rmtree(target, ignore_errors=True)
    found = mlflow.artifacts.download_artifacts(
        run_id=version.run_id, artifact_path="onnx/student.onnx", dst_path=str(target),
        tracking_uri=home.mlflow_tracking_uri,
    )  # fmt: skip
    return Path(found)


def _start_device(home: Home, place: Path, device: str, broker_port: int,
                  public_key: Path | None, model_file: Path | None) -> str:  # fmt: skip
    """Provision a device (its folder, pinned key or copied file, its link) and start it."""
    own = place / "devices" / device
    own.mkdir(parents=True)
    pinned = copied = None
    if public_key is not None:
        pinned = own / PUBLIC_KEY_FILE
        shutil.copy(public_key, pinned)
    if model_file is not None:
        copied = own / "model.onnx"
        shutil.copy(model_file, copied)
    link_port, port = free_port(), free_port()
    start_link(place, device, link_port, broker_port)
    config = DeviceConfig(
        device=device, port=port, folder=own, model=SERVED_MODEL,
        cloud_url=f"nats://127.0.0.1:{link_port}",
        profile="production" if public_key is not None else "prototype",
        public_key=pinned, model_file=copied, pii_policy=default_pii_policy_path(),
        pii_key_file=home.pii_key,
    )  # fmt: skip
    path = place / "devices" / f"{device}.yaml"
    path.write_text(yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False))
    return start_device(place, device, port)


def _start_fleet(home: Home, place: Path, devices: dict[str, str], tenants: list[TenantKey],
                 production: bool) -> str:  # fmt: skip
    port = free_port()
    config = FleetConfig(port=port, model=SERVED_MODEL, devices=devices, tenants=tenants,
                         limits=DEFAULT_LIMITS if production else {},
                         audit_url=home.audit_url,
                         tracking_uri=home.mlflow_tracking_uri if production else None)  # fmt: skip
    path = place / "fleet.yaml"
    path.write_text(yaml.safe_dump(config.model_dump(mode="json"), sort_keys=False))
    log = place / "fleet.log"
    process = launch([sys.executable, "-m", "reference.edge.fleet", str(path)], log, OWN_METRICS)
    (place / "fleet.pid").write_text(str(process.pid))
    base = f"http://127.0.0.1:{port}"
    wait_until_ready(process, f"{base}/readyz", log, 60.0)
    return base


def fault_hooks(place: Path, devices: tuple[str, ...]) -> list[FaultHook]:
    """Shell hooks: commands of `reference.edge.faults` on this deployment."""
    command = f"{shlex.quote(sys.executable)} -m reference.edge.faults {shlex.quote(str(place))}"

    def hook(name: str, action: str, argument: str = "", undo: str | None = None) -> FaultHook:
        return FaultHook(name=name, kind="shell", target=f"{command} {action} {argument}".strip(),
                         undo=undo)  # fmt: skip

    links = [h for d in devices for h in (
        hook(f"cut-link-{d}", "cut-link", d, undo=f"restore-link-{d}"),
        hook(f"restore-link-{d}", "restore-link", d))]  # fmt: skip
    pushes = [hook(f"push-{kind}-model", "push-model", kind, undo="republish")
              for kind in ("corrupt", "unsigned", "broken", "slow")]  # fmt: skip
    return [
        *links,
        hook("cut-links", "cut-link", "all", undo="restore-links"),
        hook("restore-links", "restore-link", "all"),
        *pushes,
        hook("republish", "republish"),
        hook("cold-start", "cold-start", devices[-1]),
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
    return answering_descriptor(ARCHITECTURE, Pattern.EDGE, EDGE_SLOS, base, home,
                                credentials, monitor, hooks or [], declared)  # fmt: skip


def _declarations(home: Home, place: Path) -> dict[str, Any]:
    """A small fleet: three sites of about 3,000 decisions a day each, their callers spread
    over the devices by the fleet API (which passes over a device that is down); scale out
    by adding devices. A device's retries are its forwarder's, until the broker acked."""
    logs = [place / "fleet.log", place / "monitor.log", place / "collector.log",
            place / "releaser.log", *sorted(place.glob("device-*.log"))]  # fmt: skip
    return {
        "scale": Scale(requests_per_day=9_000, peak_rps=100, max_replicas=len(DEVICES),
                       capabilities=[Capability.LOAD_BALANCER, Capability.EDGE_POPS]),
        "resilience": Resilience(timeout_s=5.0, retries=0),
        "cost": Cost(cpu_seconds_per_1k=1.0),
        **platform_declarations(home, logs),
    }  # fmt: skip
