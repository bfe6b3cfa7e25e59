"""Sample runs for the reports' tests: two real bundles of `readiness run microservice`
(production and prototype, the default scenario set, 2026-11-29), their traffic scratch
folders removed, re-sealed and re-assessed with this code (`data/runs`)."""

import shutil
from pathlib import Path

SAMPLE_RUNS = Path(__file__).parent / "data" / "runs"
PRODUCTION = "20261129T180626Z-readiness-microservice-production"
PROTOTYPE = "20261129T181301Z-readiness-microservice-prototype"


def copy_runs(folder: Path) -> Path:
    """A writable copy of the sample runs, for tests that add or break bundles."""
    target = folder / "runs"
    shutil.copytree(SAMPLE_RUNS, target)
    return target
