"""What the benchmarks share: a home with a model to serve, and how targets are printed."""

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from rich.console import Console

from readiness.home import HOME_VARIABLE, Home

POLICY = Path(__file__).parent.parent / "reference/platform/policies/income-eligibility.yaml"
Check = tuple[str, bool]


def train(home: Home) -> None:
    """A quick model with the use case's fairness policy, approved as champion."""
    command = [sys.executable, "-m", "readiness", "train", "--quick", "--policy", str(POLICY)]
    environment = {**os.environ, HOME_VARIABLE: str(home.root)}
    subprocess.run(command, env=environment, check=True, cwd=home.root, capture_output=True)


def bench_home(console: Console, given: Path | None, work: Path) -> Home:
    """The home given, or a new one in `work` with a quick model trained into it."""
    if given is not None:
        return Home(given.resolve())
    home = Home(work / "home").ensure()
    console.print("training a quick model (about a minute) ...")
    train(home)
    return home


def print_checks(console: Console, checks: list[Check], results: dict[str, Any]) -> None:
    """Each target as met or MISSED, and the verdicts into `results`."""
    results["checks"] = {text: passed for text, passed in checks}
    for text, passed in checks:
        console.print(("[green]met[/green]  " if passed else "[red]MISSED[/red] ") + text)
