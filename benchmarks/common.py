"""What the benchmarks share: a home with a model to serve, the model variants trained side by
side, and how targets are printed."""

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from rich.console import Console

from readiness.home import HOME_VARIABLE, Home

if TYPE_CHECKING:
    from reference.platform.model.lifecycle import ModelSet

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


@dataclass(frozen=True)
class TestRows:
    """The Adult test split encoded as the models take it, with its labels."""

    numeric: npt.NDArray[np.float32]
    categorical: npt.NDArray[np.int64]
    labels: npt.NDArray[np.int64]


def build_variants(console: Console, quick: bool, folder: Path) -> "tuple[ModelSet, TestRows]":
    """Every variant trained, exported and quantised into `folder` as the platform builds them,
    and the test rows to judge them on, so benchmarks compare the models that would ship.

    The platform is imported here rather than at the top so that the benchmarks that train
    nothing do not pay for loading torch.
    """
    from reference.platform.model.architectures import InputSpec
    from reference.platform.model.dataset import load_adult
    from reference.platform.model.lifecycle import build_models
    from reference.platform.model.training import TrainingConfig, training_data, training_device

    data = load_adult()
    training = training_data(data.schema, data.train)
    spec = InputSpec.fit(data.schema, training.numeric)
    config = TrainingConfig.quick() if quick else TrainingConfig.full()
    numeric, categorical = data.schema.encode(data.test)
    rows = TestRows(numeric, categorical, data.test["label"].to_numpy())
    console.print(f"training ({'quick' if quick else 'full'}) on {training_device()} ...")
    return build_models(spec, training, config, folder, (numeric, categorical)), rows


def print_checks(console: Console, checks: list[Check], results: dict[str, Any]) -> None:
    """Each target as met or MISSED, and the verdicts into `results`."""
    results["checks"] = {text: passed for text, passed in checks}
    for text, passed in checks:
        console.print(("[green]met[/green]  " if passed else "[red]MISSED[/red] ") + text)
