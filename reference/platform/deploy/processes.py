"""Local service processes: free loopback ports, process sessions, readiness waits, stops.

Every reference deployment (and the benchmarks) starts its servers the same way: as a
process session of its own, so that stopping it by PID also stops whatever it started
(Ray workers, replicas), on 127.0.0.1 and a free port.
"""

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Awaitable, Callable, Collection, Mapping
from pathlib import Path

import httpx

from readiness.errors import DeploymentFailed


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def launch(
    command: list[str], log: Path, environment: Mapping[str, str | None] | None = None
) -> "subprocess.Popen[bytes]":
    """Start `command` as a new process session writing to `log`; `environment` adds
    variables to ours, and a variable given as None is left out."""
    merged = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", **(environment or {})}
    with log.open("wb") as output:
        return subprocess.Popen(
            command, stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
            env={name: value for name, value in merged.items() if value is not None},
        )  # fmt: skip


def wait_until_ready(
    process: "subprocess.Popen[bytes]", url: str, log: Path, timeout_s: float
) -> None:
    """Poll `url` until it answers 200; stop the session if it never does."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise DeploymentFailed(f"the service exited ({process.returncode}): {tail(log)}")
        try:
            if httpx.get(url, timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    stop_session(process.pid)
    raise DeploymentFailed(f"the service was not ready within {timeout_s:.0f} s: {tail(log)}")


def pid_of(path: Path) -> int | None:
    """The pid a deployment wrote into `path`; None when there is none (or garbage)."""
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def stop_session(pid: int, grace_s: float = 30.0, *, leader_first: bool = False) -> None:
    """SIGTERM the process session (the service and what it started); once its leader has
    shut down cleanly, SIGKILL what is left of the session (Ray's workers, which hold no
    state of ours and otherwise take many seconds to wind down); SIGKILL everything when the
    leader overstays `grace_s`.

    `leader_first` sends the SIGTERM to the leader alone, for a leader that stops what it
    started itself: a Ray driver whose raylet and GCS are signalled with it spends seconds
    on timeouts talking to them as it disconnects (measured: the microservice's leader
    exits 4.0 s after its own SIGTERM, 12.5 s after its session's)."""
    try:
        if leader_first:
            os.kill(pid, signal.SIGTERM)
        else:
            os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline:
        reap(pid)
        if not running(pid):
            break
        time.sleep(0.2)
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        return


def reap(pid: int) -> None:
    """Collect our own child once it exits, so it does not linger as a zombie."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def tail(log: Path, lines: int = 15) -> str:
    try:
        return " | ".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def run_until_signalled(main: Callable[[asyncio.Event], Awaitable[None]]) -> None:
    """Run an async service loop until SIGTERM or SIGINT sets its stop event, so it ends
    what it holds instead of dying mid-write (`stop_session` sends SIGTERM first)."""

    async def supervised() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await main(stop)

    asyncio.run(supervised())


def stop_recorded(pid_files: list[Path], leaders_first: Collection[Path] = ()) -> bool:
    """Stop the process session named in each pid file, in that order, and remove the
    files; False when none was running. The sessions of `leaders_first` are stopped with
    `stop_session(leader_first=True)`."""
    stopped = False
    for path in pid_files:
        pid = pid_of(path)
        path.unlink(missing_ok=True)
        if pid is not None and running(pid):
            stop_session(pid, leader_first=path in leaders_first)
            stopped = True
    return stopped
