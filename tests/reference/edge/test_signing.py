import re
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from readiness.errors import IntegrityFailed, InvalidConfiguration
from reference.edge.signing import (
    PRIVATE_KEY_FILE,
    PUBLIC_KEY_FILE,
    ensure_keys,
    load_private_key,
    load_public_key,
    sign,
    verify,
)

KeyLoader = Callable[[Path], object]


def test_ensure_keys_creates_a_pair_whose_private_key_only_its_owner_can_read(
    tmp_path: Path,
) -> None:
    private, public = ensure_keys(tmp_path / "keys")

    assert (private.name, public.name) == (PRIVATE_KEY_FILE, PUBLIC_KEY_FILE)
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    signature = sign(load_private_key(private), b"payload")
    verify(load_public_key(public), b"payload", signature)


def test_ensure_keys_returns_the_same_files_the_second_time(tmp_path: Path) -> None:
    private, public = ensure_keys(tmp_path)
    contents = (private.read_bytes(), public.read_bytes())

    assert ensure_keys(tmp_path) == (private, public)
    assert (private.read_bytes(), public.read_bytes()) == contents


def test_a_signature_does_not_verify_over_other_bytes(tmp_path: Path) -> None:
    private, public = ensure_keys(tmp_path)
    signature = sign(load_private_key(private), b"payload")

    with pytest.raises(IntegrityFailed, match=r"^the signature does not verify under the pinned"):
        verify(load_public_key(public), b"payloaD", signature)


@pytest.fixture
def garbage_key(tmp_path: Path) -> Path:
    path = tmp_path / "garbage.key"
    path.write_bytes(b"not a key at all\n")
    return path


@pytest.fixture
def ec_private_key(tmp_path: Path) -> Path:
    """A valid PEM private key, but of another algorithm (ECDSA P-256)."""
    path = tmp_path / "ec.key"
    key = ec.generate_private_key(ec.SECP256R1())
    path.write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    return path


@pytest.fixture
def ec_public_key(tmp_path: Path) -> Path:
    path = tmp_path / "ec.pub"
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    path.write_bytes(key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo))
    return path


@pytest.fixture
def missing_key(tmp_path: Path) -> Path:
    return tmp_path / "absent.key"


@pytest.mark.parametrize(
    ("loader", "key_file", "message"),
    [
        pytest.param(load_private_key, "ec_private_key", "{path}: not an Ed25519 private key",
                     id="an ECDSA private key is not an Ed25519 one"),
        pytest.param(load_public_key, "ec_public_key", "{path}: not an Ed25519 public key",
                     id="an ECDSA public key is not an Ed25519 one"),
        pytest.param(load_private_key, "missing_key",
                     "cannot read the key {path}: No such file or directory",
                     id="a missing private key file is named"),
        pytest.param(load_public_key, "missing_key",
                     "cannot read the key {path}: No such file or directory",
                     id="a missing public key file is named"),
    ],
)  # fmt: skip
def test_a_key_file_that_holds_no_ed25519_key_is_refused_naming_the_file(
    loader: KeyLoader, key_file: str, message: str, request: pytest.FixtureRequest
) -> None:
    path: Path = request.getfixturevalue(key_file)
    with pytest.raises(InvalidConfiguration, match=f"^{re.escape(message.format(path=path))}$"):
        loader(path)


@pytest.mark.parametrize(
    "loader",
    [
        pytest.param(load_private_key, id="as a private key"),
        pytest.param(load_public_key, id="as a public key"),
    ],
)
def test_a_garbage_key_file_is_an_invalid_configuration_naming_the_file(
    loader: KeyLoader, garbage_key: Path
) -> None:
    with pytest.raises(InvalidConfiguration, match=re.escape(str(garbage_key))):
        loader(garbage_key)


def test_a_private_key_file_given_as_the_public_key_is_refused_naming_the_file(
    tmp_path: Path,
) -> None:
    private, _ = ensure_keys(tmp_path)
    with pytest.raises(InvalidConfiguration, match=re.escape(str(private))):
        load_public_key(private)
