"""Where the processes of a microservice deployment are, and how they stop.

Kept apart from `deployment` (which imports the registry and the fairness policy: 2 s of
MLflow, scikit-learn and fairlearn) so `readiness down microservice` imports nothing heavy.
"""

from pathlib import Path

from readiness.home import Home
from reference.platform.deploy.processes import pid_of, running, stop_recorded

ARCHITECTURE = "microservice"
PROCESSES = ("service", "monitor")
"""In stopping order: the service (gateway and Ray) first, so the monitor sees it go."""


def folder(home: Home) -> Path:
    return home.root / "deployments" / ARCHITECTURE


def running_pid(place: Path, name: str = "service") -> int | None:
    pid = pid_of(place / f"{name}.pid")
    return pid if pid is not None and running(pid) else None


def down(home: Home) -> bool:
    """Stop the microservice's process sessions (service, monitor); False when nothing was
    running. The service stops Ray itself, so it alone gets the first signal."""
    place = folder(home)
    files = [place / f"{name}.pid" for name in PROCESSES]
    return stop_recorded(files, leaders_first={place / "service.pid"})
