"""Ed25519 signatures for edge releases.

A device must never run a model that did not come from the release pipeline, even when the
channel it came over (a link, a broker, a mirror) is not trusted. The cloud signs every
release with a private key kept in its home; each device is provisioned with the public key
and pins it: a release whose signature does not verify under the pinned key is refused,
whatever it claims. A sha256 alone would not do, as whoever can change the file can change
the hash next to it.
"""

import base64
from pathlib import Path

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
    load_pem_public_key,
)

from readiness.errors import IntegrityFailed, InvalidConfiguration

PRIVATE_KEY_FILE, PUBLIC_KEY_FILE = "release-signing.key", "release-signing.pub"


def ensure_keys(folder: Path) -> tuple[Path, Path]:
    """The release key pair in `folder`, generated once (the private key mode 0600)."""
    private, public = folder / PRIVATE_KEY_FILE, folder / PUBLIC_KEY_FILE
    if private.exists() and public.exists():
        return private, public
    folder.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    private.touch(mode=0o600)
    private.write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    public.write_bytes(
        key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    )
    return private, public


def load_private_key(path: Path) -> Ed25519PrivateKey:
    try:
        key = load_pem_private_key(_read(path), password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as error:
        raise InvalidConfiguration(f"{path}: not a PEM private key ({error})") from error
    if not isinstance(key, Ed25519PrivateKey):
        raise InvalidConfiguration(f"{path}: not an Ed25519 private key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    try:
        key = load_pem_public_key(_read(path))
    except (ValueError, UnsupportedAlgorithm) as error:
        raise InvalidConfiguration(f"{path}: not a PEM public key ({error})") from error
    if not isinstance(key, Ed25519PublicKey):
        raise InvalidConfiguration(f"{path}: not an Ed25519 public key")
    return key


def sign(key: Ed25519PrivateKey, payload: bytes) -> str:
    return base64.b64encode(key.sign(payload)).decode()


def verify(key: Ed25519PublicKey, payload: bytes, signature: str) -> None:
    """Raise IntegrityFailed unless `signature` is the pinned key's over `payload`."""
    try:
        key.verify(base64.b64decode(signature, validate=True), payload)
    except (InvalidSignature, ValueError) as error:
        raise IntegrityFailed("the signature does not verify under the pinned key") from error


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise InvalidConfiguration(f"cannot read the key {path}: {error.strerror}") from error
