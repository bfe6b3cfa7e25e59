"""Shared, expensive fixtures: one quick training run per test session."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from readiness.home import HOME_VARIABLE, MLFLOW_VARIABLE, Home
from reference.platform.model.dataset import AdultDataset, load_adult
from reference.platform.model.lifecycle import TrainingSummary
from tests.champions import crown_champion


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test touches ./.readiness: each gets its own READINESS_HOME."""
    home = tmp_path / "readiness-home"
    monkeypatch.setenv(HOME_VARIABLE, str(home))
    monkeypatch.setenv(MLFLOW_VARIABLE, "")  # recorded, so a test's mlflow.set_tracking_uri
    monkeypatch.delenv(MLFLOW_VARIABLE)  # (which sets the variable) is undone after it
    return home


@pytest.fixture(scope="session")
def adult() -> AdultDataset:
    return load_adult()


@pytest.fixture(scope="session")
def train_workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The working folder of the session's training run; it must stay empty."""
    return tmp_path_factory.mktemp("train-workdir")


@pytest.fixture(scope="session")
def trained(
    tmp_path_factory: pytest.TempPathFactory, train_workdir: Path
) -> tuple[Home, TrainingSummary]:
    """`readiness train --quick --json` run once, as a user runs it, in its own home."""
    home = Home(tmp_path_factory.mktemp("trained-home"))
    environment = {**os.environ, HOME_VARIABLE: str(home.root)}
    environment.pop(MLFLOW_VARIABLE, None)
    finished = subprocess.run(
        [sys.executable, "-m", "readiness", "train", "--quick", "--json"],
        env=environment,
        cwd=train_workdir,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    return home, TrainingSummary.model_validate(json.loads(finished.stdout))


@pytest.fixture(scope="session")
def champion_home(
    trained: tuple[Home, TrainingSummary], tmp_path_factory: pytest.TempPathFactory
) -> Home:
    """A copy of the session's trained home with an approved champion, for deployments."""
    import shutil

    home = Home(tmp_path_factory.mktemp("champion") / "home")
    shutil.copytree(trained[0].root, home.root)
    crown_champion(home)
    return home
