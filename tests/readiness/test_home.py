from pathlib import Path

import pytest

from readiness.home import HOME_VARIABLE, readiness_home


def test_home_defaults_to_dot_readiness_in_the_working_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(HOME_VARIABLE, raising=False)
    monkeypatch.chdir(tmp_path)
    assert readiness_home().root == tmp_path / ".readiness"


def test_home_follows_the_environment_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(HOME_VARIABLE, str(tmp_path / "state"))
    home = readiness_home().ensure()
    assert home.mlflow_tracking_uri == f"sqlite:///{tmp_path / 'state' / 'mlflow.db'}"
    assert home.mlflow_artifacts.is_dir()
    assert home.feature_repo.is_dir()
