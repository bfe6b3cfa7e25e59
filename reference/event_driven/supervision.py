"""Where the processes of an event-driven deployment are, and how to start a worker again.

Kept apart from `deployment` (which imports the registry and the fairness policy) so the
fault hooks, run as commands during a scenario, start in well under a second.
"""

import sys
from pathlib import Path

from readiness.home import Home
from reference.platform.deploy.processes import launch, pid_of, running, stop_recorded

MULTIPROC_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


def start_worker(place: Path, stage: str, index: int) -> int:
    """Start one worker of `stage` (pid in `place/worker-STAGE-INDEX.pid`); its pid."""
    log = place / f"worker-{stage}-{index}.log"
    command = [sys.executable, "-m", "reference.event_driven.worker",
               str(place / "pipeline.yaml"), stage]  # fmt: skip
    process = launch(command, log, {MULTIPROC_VARIABLE: str(place / "metrics")})
    (place / f"worker-{stage}-{index}.pid").write_text(str(process.pid))
    return process.pid


ARCHITECTURE = "event-driven"


def folder(home: Home) -> Path:
    return home.root / "deployments" / ARCHITECTURE


def down(home: Home) -> bool:
    """Stop every process of the pipeline; False when nothing was running."""
    return stop_recorded(pid_files(folder(home)))


def pid_files(place: Path) -> list[Path]:
    """In stopping order: the ingest, the autoscaler, the workers, the monitor, the broker."""
    order = ["ingest.pid", "autoscaler.pid", *sorted(p.name for p in place.glob("worker-*.pid")),
             "monitor.pid", "broker.pid"]  # fmt: skip
    return [place / name for name in order]


def running_pids(place: Path) -> list[int]:
    pids = [pid_of(path) for path in pid_files(place)]
    return [pid for pid in pids if pid is not None and running(pid)]


def start_autoscaler(place: Path, stage: str = "infer") -> int:
    """Start the stage's autoscaler (pid in `place/autoscaler.pid`); its pid."""
    command = [sys.executable, "-m", "reference.event_driven.autoscaler", str(place), stage]
    process = launch(command, place / "autoscaler.log")
    (place / "autoscaler.pid").write_text(str(process.pid))
    return process.pid


def restart_dead_workers(place: Path) -> list[str]:
    """Start again every worker whose process is gone; their names."""
    restarted = []
    for path in sorted(place.glob("worker-*.pid")):
        pid = pid_of(path)
        if pid is None or not running(pid):
            _, stage, index = path.stem.split("-")
            start_worker(place, stage, int(index))
            restarted.append(path.stem)
    return restarted
