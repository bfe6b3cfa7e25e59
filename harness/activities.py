"""The injectors and probes that scenario files name, as a Chaos Toolkit extension.

Every function here is a Chaos Toolkit python-provider activity: plain arguments from the
scenario file, plus `configuration` (Chaos Toolkit passes the experiment's; the readiness
harness passes its own). Three keys matter:

- `readiness_target`: the path of the target descriptor (required);
- `readiness_work`: a folder for the scenario's state, such as its traffic (default: a
  `chaostoolkit-readiness` folder beside the descriptor);
- `readiness_seed`: the seed of the scenario's traffic (default 0).

Injectors carry their undo (`@injector(undo=...)`); scenario validation insists that the
undo is among the rollbacks, and the harness runs rollbacks whatever happened. Outputs are
JSON-ready dicts, recorded in the journal and read by measures.
"""

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from harness import traffic
from harness.metrics import scrape
from harness.scenario import UNDO_ATTRIBUTE
from harness.system.loading import system_of
from harness.target import Target
from harness.traffic.spec import Stage, TrafficSpec
from readiness.bundle import firing_alert
from readiness.errors import InjectionFailed, InvalidDescriptor, InvalidScenario

Configuration = dict[str, Any] | None
Function = TypeVar("Function", bound=Callable[..., Any])
TRAFFIC_READY_TIMEOUT_S = 60.0
ALERT_SEVERITIES = ("critical", "high", "medium", "low")


def injector(undo: str) -> Callable[[Function], Function]:
    """Mark a function as an injector whose effect `undo` (a function of this module,
    called with the same arguments) reverses."""

    def mark(function: Function) -> Function:
        setattr(function, UNDO_ATTRIBUTE, undo)
        return function

    return mark


def _target(configuration: Configuration) -> Target:
    path = (configuration or {}).get("readiness_target")
    if not path:
        raise InvalidScenario("configuration.readiness_target: the target descriptor's path "
                              "is required")  # fmt: skip
    return Target.from_file(Path(str(path)))


def _work(configuration: Configuration) -> Path:
    configured = (configuration or {}).get("readiness_work")
    if configured:
        return Path(str(configured))
    return Path(str((configuration or {})["readiness_target"])).parent / "chaostoolkit-readiness"


def _seed(configuration: Configuration) -> int:
    return int((configuration or {}).get("readiness_seed", 0))


@injector(undo="stop_traffic")
def start_traffic(
    stages: list[dict[str, float]],
    feedback: float = 0.0,
    transform: str = "none",
    configuration: Configuration = None,
) -> dict[str, Any]:
    """Start Locust traffic of the system's own rows through the predict endpoint, in its
    protocol (and, for a `feedback` share of the answers, their true labels through the
    feedback endpoint); return once the first requests were made."""
    target = _target(configuration)
    system = system_of(target)
    rows = system.require_rows("traffic")
    assert system.shaping is not None
    spec = TrafficSpec(
        predict_url=target.url("predict"),
        feedback_url=target.url("feedback") if feedback > 0 and target.has("feedback") else None,
        protocol=target.descriptor.protocol, shaping=system.shaping,
        credentials=target.descriptor.credentials, canary_token=system.canary_token,
        stages=[Stage.model_validate(stage) for stage in stages], feedback=feedback,
        transform=transform, seed=_seed(configuration),
    )  # fmt: skip
    folder = _work(configuration) / "traffic"
    pid = traffic.start(spec, rows, folder, target.key())
    deadline = time.monotonic() + TRAFFIC_READY_TIMEOUT_S
    while not traffic.has_requests(folder):
        if not traffic.running(folder):
            raise InjectionFailed(f"the traffic process ended before its first request; see "
                                  f"{folder / 'traffic.log'}")  # fmt: skip
        if time.monotonic() > deadline:
            traffic.stop(folder)
            raise InjectionFailed(f"no request made within {TRAFFIC_READY_TIMEOUT_S:g} s")
        time.sleep(0.2)
    return {"pid": pid, "seconds": sum(stage["seconds"] for stage in stages),
            "feedback": spec.feedback_url is not None}  # fmt: skip


def steer_traffic(
    transform: str | None = None,
    scale: float | None = None,
    share: float | None = None,
    headers: dict[str, str] | None = None,
    configuration: Configuration = None,
) -> dict[str, Any]:
    """From now on (the fault's known moment), transform the rows the running traffic sends
    (all, or a `share` of them, those sent with `headers`), or multiply its rate by
    `scale`."""
    folder = _work(configuration) / "traffic"
    if not traffic.running(folder):
        raise InjectionFailed("no traffic is running to steer")
    control = traffic.steer(folder, transform, scale, share, headers)
    return {"transform": control.transform, "scale": control.scale, "share": control.share,
            "headers": control.headers, "since": control.since}  # fmt: skip


def wait_for_traffic(timeout_s: float = 600.0, configuration: Configuration = None) -> bool:
    """Wait until the traffic's stages have all run."""
    folder = _work(configuration) / "traffic"
    if not traffic.wait(folder, timeout_s):
        raise InjectionFailed(f"the traffic still runs after {timeout_s:g} s")
    return True


def stop_traffic(configuration: Configuration = None) -> dict[str, Any]:
    """Stop the traffic if it still runs; how many requests it made."""
    folder = _work(configuration) / "traffic"
    stopped = traffic.stop(folder)
    requests = traffic.read_requests(folder)
    return {"stopped_early": stopped, "requests": len(requests)}


@injector(undo="undo_fault")
def inject_fault(hook: str, configuration: Configuration = None) -> dict[str, Any]:
    """Fire one of the target's fault hooks (an admin call or a command it declares)."""
    result = _target(configuration).fire(hook)
    if not result.ok:
        raise InjectionFailed(f"fault hook '{hook}' failed: {result.detail}")
    return {"hook": hook, "detail": result.detail, "result": result.result}


def undo_fault(hook: str, configuration: Configuration = None) -> dict[str, Any]:
    """Fire the hook the descriptor names as `hook`'s undo; safe when already undone."""
    target = _target(configuration)
    declared = target.descriptor.hook(hook)
    if declared is None:
        raise InvalidDescriptor(f"target descriptor '{target.descriptor.name}': fault_hooks: "
                                f"no hook '{hook}'")  # fmt: skip
    if declared.undo is None:
        return {"hook": hook, "undone": False, "detail": "the descriptor declares no undo"}
    result = target.fire(declared.undo)
    if not result.ok:
        raise InjectionFailed(f"undo hook '{declared.undo}' failed: {result.detail}")
    return {"hook": hook, "undone": True, "detail": result.detail}


def security_campaign(
    fuzz_requests: int = 200, burst_limit: int = 50, configuration: Configuration = None
) -> dict[str, Any]:
    """Missing and wrong credentials, another tenant's model, admin routes with a user's
    key, bursts beyond the quota, and a generated campaign of malformed requests."""
    from harness.security import run_security_probes

    report = run_security_probes(
        system_of(_target(configuration)), fuzz_requests=fuzz_requests,
        seed=_seed(configuration), burst_limit=burst_limit,
    )  # fmt: skip
    outcomes = [check.outcome.value for check in report.checks]
    summary = {
        "checks": len(outcomes), "checks_passed": outcomes.count("pass"),
        "checks_failed": outcomes.count("fail") + outcomes.count("error"),
        "checks_not_applicable": outcomes.count("not_applicable"),
        "fuzz_requests": report.fuzz.requests, "server_errors": report.fuzz.server_errors,
        "transport_errors": report.fuzz.transport_errors,
        "accepted_invalid": report.fuzz.accepted_invalid,
    }  # fmt: skip
    return {"summary": summary, "report": report.model_dump(mode="json")}


def target_is_healthy(configuration: Configuration = None) -> bool:
    """The health endpoint answers 2xx."""
    target = _target(configuration)
    try:
        return target.get("health").is_success
    except Exception:
        return False


def alerts_firing(severities: list[str] | None = None, configuration: Configuration = None) -> int:
    """How many alerts (of these severities) the target's metrics say are firing now."""
    target = _target(configuration)
    wanted = set(severities or ALERT_SEVERITIES)
    count = 0
    for endpoint in ("monitor_metrics", "metrics"):
        if not target.has(endpoint):
            continue
        for sample in scrape(target.url(endpoint), target.headers()):
            alert = firing_alert(sample.metric, sample.labels, sample.value)
            count += alert is not None and alert[1] in wanted
    return count
