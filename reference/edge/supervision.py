"""Where the processes of an edge deployment are, and how a device and its link start.

Kept apart from `deployment` (which imports the registry and the fairness policy) so the fault
hooks, run as commands during a scenario, start in well under a second.
"""

import socket
import sys
import time
from pathlib import Path

from readiness.errors import DeploymentFailed
from readiness.home import Home
from reference.platform.deploy.processes import (
    launch,
    pid_of,
    running,
    stop_recorded,
    tail,
    wait_until_ready,
)

READY_TIMEOUT_S = 90.0
"""A new device becomes ready once it verified its first release over its link."""
OWN_METRICS: dict[str, str | None] = {"PROMETHEUS_MULTIPROC_DIR": None,
                                      "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false"}  # fmt: skip
"""Each edge process keeps its metrics in memory: importing Feast (as `readiness up` does)
sets a multiprocess folder in the environment, which children must not inherit (even an
empty value turns prometheus_client's multiprocess mode on). And no download progress bars
in the services' logs."""


ARCHITECTURE = "edge"


def folder(home: Home) -> Path:
    return home.root / "deployments" / ARCHITECTURE


def down(home: Home) -> bool:
    """Stop every process of the fleet and its cloud; False when nothing was running."""
    return stop_recorded(pid_files(folder(home)))


def pid_files(place: Path) -> list[Path]:
    """In stopping order: the fleet API, the devices, their links, the cloud's services, the
    broker last (what is on the way is flushed to it first)."""
    order = ["fleet.pid", *sorted(p.name for p in place.glob("device-*.pid")),
             *sorted(p.name for p in place.glob("link-*.pid")), "monitor.pid", "releaser.pid",
             "collector.pid", "broker.pid"]  # fmt: skip
    return [place / name for name in order]


def running_pids(place: Path) -> list[int]:
    pids = [pid_of(path) for path in pid_files(place)]
    return [pid for pid in pids if pid is not None and running(pid)]


def control_file(place: Path, device: str) -> Path:
    """While this file exists the device's link is cut (`reference.edge.link`)."""
    return place / "links" / f"{device}.cut"


def start_link(place: Path, device: str, port: int, upstream_port: int) -> None:
    control_file(place, device).parent.mkdir(exist_ok=True)
    log = place / f"link-{device}.log"
    command = [sys.executable, "-m", "reference.edge.link", "--listen-port", str(port),
               "--upstream", f"127.0.0.1:{upstream_port}",
               "--control", str(control_file(place, device))]  # fmt: skip
    process = launch(command, log)
    (place / f"link-{device}.pid").write_text(str(process.pid))
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise DeploymentFailed(f"the link of {device} exited: {tail(log)}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise DeploymentFailed(f"the link of {device} did not listen within 20 s: {tail(log)}")


def start_device(place: Path, device: str, port: int, wait: bool = True) -> str:
    """Start the device configured in `place/devices/DEVICE.yaml`; its base URL, once it
    serves a model when `wait`."""
    log = place / f"device-{device}.log"
    command = [sys.executable, "-m", "reference.edge.device",
               str(place / "devices" / f"{device}.yaml")]  # fmt: skip
    process = launch(command, log, OWN_METRICS)
    (place / f"device-{device}.pid").write_text(str(process.pid))
    base = f"http://127.0.0.1:{port}"
    if wait:
        wait_until_ready(process, f"{base}/readyz", log, READY_TIMEOUT_S)
    return base
