"""MLflow's process-wide registry settings are put back exactly after one call: a later
client that names only its tracking URI registers in its own store."""

import os
from pathlib import Path

import mlflow
import pytest

from readiness.mlflow_uris import using_registry


def test_after_the_block_the_registry_follows_the_tracking_uri_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MLFLOW_REGISTRY_URI", raising=False)
    inside = f"sqlite:///{tmp_path / 'theirs.db'}"
    with using_registry(inside):
        assert (mlflow.get_tracking_uri(), mlflow.get_registry_uri()) == (inside, inside)
    later = f"sqlite:///{tmp_path / 'ours.db'}"
    mlflow.set_tracking_uri(later)
    assert mlflow.get_registry_uri() == later
    assert "MLFLOW_REGISTRY_URI" not in os.environ


def test_the_registry_of_an_outer_block_is_back_after_an_inner_one(tmp_path: Path) -> None:
    chosen = f"sqlite:///{tmp_path / 'chosen.db'}"
    with using_registry(f"sqlite:///{tmp_path / 'other.db'}"):
        with using_registry(chosen):
            assert mlflow.get_registry_uri() == chosen
        assert mlflow.get_registry_uri().endswith("other.db")
