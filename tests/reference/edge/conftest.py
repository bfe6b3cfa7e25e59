"""Shared by the edge tests: the feature schema and release key pairs (the NATS server is
`tests/reference/conftest.py`'s)."""

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from reference.edge.signing import ensure_keys, load_private_key, load_public_key
from reference.platform.model.schema import FeatureSchema, load_schema
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
