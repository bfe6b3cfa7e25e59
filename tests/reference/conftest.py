"""Shared by the reference architectures' tests: a real NATS JetStream server per test
(the event-driven pipeline's broker, the edge fleet's cloud), on 127.0.0.1 and a free
port, stopped by PID."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from reference.platform.deploy.broker import Broker, start_broker
from reference.platform.deploy.processes import stop_session


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    found, _ = start_broker(tmp_path / "store", tmp_path / "nats.log")
    try:
        yield found
    finally:
        stop_session(found.pid)
