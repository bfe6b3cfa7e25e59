"""Shared by the edge tests: the feature schema, release key pairs, and a real NATS
JetStream server per test (on 127.0.0.1 and a free port, stopped by PID)."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from reference.edge.signing import ensure_keys, load_private_key, load_public_key
from reference.event_driven.broker import Broker, start_broker
from reference.platform.processes import stop_session
from reference.platform.schema import FeatureSchema, load_schema
from tests.reference.edge.support import KeyPair


@pytest.fixture(scope="session")
def schema() -> FeatureSchema:
    return load_schema()


@pytest.fixture(scope="session")
def release_keys(tmp_path_factory: pytest.TempPathFactory) -> KeyPair:
    """The cloud's release key pair, as `ensure_keys` writes it and a device loads it."""
    private, public = ensure_keys(tmp_path_factory.mktemp("release-keys"))
    return KeyPair(load_private_key(private), load_public_key(public))


@pytest.fixture(scope="session")
def other_keys() -> KeyPair:
    """A key pair the devices do not pin."""
    private = Ed25519PrivateKey.generate()
    return KeyPair(private, private.public_key())


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    found, _ = start_broker(tmp_path / "store", tmp_path / "nats.log")
    try:
        yield found
    finally:
        stop_session(found.pid)
