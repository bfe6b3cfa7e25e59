"""The harness's shared deployment: the production microservice with its fault hooks and
scenario-length monitor windows, started once for the harness tests that need it."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.deploy import MONITOR_CONFIG
from readiness.descriptor import TargetDescriptor
from readiness.home import Home
from tests.reference.microservice.running import deployment


@pytest.fixture(scope="module")
def production(champion_home: Home) -> Iterator[TargetDescriptor]:
    options = ("--faults", "--monitor-config", str(MONITOR_CONFIG))
    with deployment(champion_home, "production", "champion", *options) as descriptor:
        yield descriptor


@pytest.fixture(scope="module")
def production_descriptor(production: TargetDescriptor, champion_home: Home) -> Path:
    return champion_home.root / "deployments" / "microservice" / "target.yaml"
