"""Bring one of our reference architectures up for a run, and down after.

Through the same `readiness up` and `readiness down` a user runs, as processes of their
own: the harness then knows the deployment only by the descriptor `up` prints. Production
deployments start with their fault hooks enabled and with monitor windows short enough for
scenario-length runs (`harness/deployments/monitor.yaml`).
"""

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from readiness.descriptor import ARCHITECTURES
from readiness.errors import DeploymentFailed, InvalidInput
from readiness.resources import shipped

MONITOR_CONFIG = shipped("harness", "deployments", "monitor.yaml")
UP_TIMEOUT_S = 600.0


def _readiness(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "readiness", *arguments], capture_output=True,
                          text=True, timeout=UP_TIMEOUT_S, check=False)  # fmt: skip


@contextmanager
def deployed(architecture: str, profile: str, without: tuple[str, ...] = ()) -> Iterator[Path]:
    """Yield the descriptor path of `architecture` running in `profile` (with the
    production features `without` switched off); stop it after."""
    if architecture not in ARCHITECTURES:
        raise InvalidInput(f"TARGET: '{architecture}' is neither an architecture "
                           f"({', '.join(ARCHITECTURES)}) nor a descriptor file")  # fmt: skip
    options = (
        ["--faults", "--monitor-config", str(MONITOR_CONFIG)] if profile == "production" else []
    )
    switched_off = [argument for feature in without for argument in ("--without", feature)]
    started = _readiness("up", architecture, "--profile", profile, *options, *switched_off)
    if started.returncode != 0:
        message = started.stderr.strip().splitlines()[-1:] or ["no output"]
        error = InvalidInput if started.returncode == 2 else DeploymentFailed
        raise error(f"readiness up {architecture} --profile {profile} failed: {message[0]}")
    try:
        yield Path(started.stdout.strip().splitlines()[-1])
    finally:
        _readiness("down", architecture)
