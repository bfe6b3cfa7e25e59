"""Shared by the reference architectures' tests: a real NATS JetStream server per test
(the event-driven pipeline's broker, the edge fleet's cloud), on 127.0.0.1 and a free
port, stopped by PID; and a home operated on, per module: the session's trained home
copied, with approved versions 2 and 3 (the same artifact, registered again, 2 champion)
and a tampered version 4, so the shared home is left as other tests expect it."""

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from readiness.home import Home
from reference.platform.deploy.broker import Broker, start_broker
from reference.platform.deploy.processes import stop_session
from reference.platform.model.lifecycle import TrainingSummary
from reference.platform.model.registry import FAIRNESS_TAG, SCHEMA_TAG, SEMVER_TAG, ModelRegistry
from reference.platform.model.served import SERVED_MODEL
from tests.champions import register_approved_copy
from tests.reference.microservice.running import artifact_folder


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    found, _ = start_broker(tmp_path / "store", tmp_path / "nats.log")
    try:
        yield found
    finally:
        stop_session(found.pid)


@pytest.fixture(scope="module")
def operated_home(
    trained: tuple[Home, TrainingSummary], tmp_path_factory: pytest.TempPathFactory
) -> Home:
    home = Home(tmp_path_factory.mktemp("operated") / "home")
    shutil.copytree(trained[0].root, home.root)
    assert [register_approved_copy(home) for _ in range(2)] == ["2", "3"]
    registry = ModelRegistry(f"sqlite:///{home.mlflow_db}")
    registry.promote(SERVED_MODEL, "2")
    first = registry.client.get_model_version(SERVED_MODEL, "1")
    assert first.run_id is not None
    tags = {k: v for k, v in first.tags.items() if k not in (SEMVER_TAG, SCHEMA_TAG)}
    tags[FAIRNESS_TAG] = "[]"
    tampered = home.root / "tampered"
    shutil.copytree(artifact_folder(registry, "1", home), tampered)
    with (tampered / "model.onnx").open("ab") as model:
        model.write(b"\0")
    registry.register(SERVED_MODEL, str(tampered), first.run_id, first.tags[SCHEMA_TAG], tags)
    registry.approve(SERVED_MODEL, "4", "test", "its record does not match its bytes")
    return home
