"""Traffic for scenarios: a Locust process per scenario, steered through files.

`start` launches `python -m harness.traffic` with a spec; `steer` switches the transform
applied to the rows from now on (the fault's known moment); `stop` ends it (SIGTERM, then
SIGKILL) and `read_requests` loads every request it made.
"""

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from harness.recording import REQUEST_COLUMNS
from harness.system.shaping import TrafficRow
from harness.traffic.spec import KEY_VARIABLE, Stage, TrafficControl, TrafficFiles, TrafficSpec

STOP_GRACE_S = 20.0
"""Longer than a user waits for its request in flight (network timeout + 5 s)."""

__all__ = [
    "Stage",
    "TrafficSpec",
    "has_requests",
    "read_requests",
    "running",
    "start",
    "steer",
    "stop",
]


def start(spec: TrafficSpec, rows: Sequence[TrafficRow], folder: Path, api_key: str | None) -> int:
    """Launch the traffic process sending `rows`; its PID. A process already running there
    is stopped."""
    files = TrafficFiles(folder)
    folder.mkdir(parents=True, exist_ok=True)
    stop(folder)
    files.spec.write_text(spec.model_dump_json(indent=2))
    with files.rows.open("w") as handle:
        handle.writelines(row.model_dump_json() + "\n" for row in rows)
    files.control.unlink(missing_ok=True)
    environment = {**os.environ, KEY_VARIABLE: api_key or ""}
    with files.log.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "harness.traffic", str(files.spec)],
            stdout=log, stderr=subprocess.STDOUT, env=environment, start_new_session=True,
        )  # fmt: skip
    files.pid.write_text(str(process.pid))
    return process.pid


def steer(
    folder: Path,
    transform: str | None = None,
    scale: float | None = None,
    share: float | None = None,
    headers: dict[str, str] | None = None,
) -> TrafficControl:
    """Change what the running traffic sends from now on; what is not named stays."""
    files = TrafficFiles(folder)
    try:
        current = TrafficControl.model_validate_json(files.control.read_text())
    except (OSError, ValueError):
        spec = TrafficSpec.model_validate_json(files.spec.read_text())
        current = TrafficControl(transform=spec.transform, since=time.time())
    control = TrafficControl(
        transform=current.transform if transform is None else transform,
        scale=current.scale if scale is None else scale, since=time.time(),
        share=current.share if share is None else share,
        headers=current.headers if headers is None else headers,
    )  # fmt: skip
    temporary = files.control.with_suffix(".tmp")
    temporary.write_text(control.model_dump_json())
    os.replace(temporary, files.control)
    return control


def _pid(folder: Path) -> int | None:
    try:
        return int(TrafficFiles(folder).pid.read_text().strip())
    except (OSError, ValueError):
        return None


def running(folder: Path) -> bool:
    pid = _pid(folder)
    if pid is None:
        return False
    try:
        finished, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        finished = 0
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
    return finished == 0


def wait(folder: Path, timeout_s: float) -> bool:
    """Wait for the traffic to end on its own; False when it is still running."""
    deadline = time.monotonic() + timeout_s
    while running(folder):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def stop(folder: Path) -> bool:
    """Stop the traffic process if it runs; True when one was stopped."""
    pid = _pid(folder)
    if pid is None or not running(folder):
        return False
    os.kill(pid, signal.SIGTERM)
    if not wait(folder, STOP_GRACE_S):
        os.killpg(pid, signal.SIGKILL)
        wait(folder, STOP_GRACE_S)
    return True


def has_requests(folder: Path) -> bool:
    path = TrafficFiles(folder).requests
    return path.exists() and path.stat().st_size > 0


def read_requests(folder: Path) -> pd.DataFrame:
    """Every request the traffic made (an empty frame when it made none)."""
    path = TrafficFiles(folder).requests
    if not path.exists():
        return pd.DataFrame(columns=list(REQUEST_COLUMNS))
    records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    frame = pd.DataFrame.from_records(records, columns=list(REQUEST_COLUMNS))
    return frame.astype({"time": float, "latency_ms": float, "status": int})
