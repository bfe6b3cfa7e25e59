"""What of a feature row may be logged: the PII policy, and the keyed hash it applies.

The prediction log keeps each row's features so that monitors and auditors can see what a
decision was made on, and PII must never be stored raw. Every row passes through a
`PiiRedactor` before it is logged: per column, `hash` (HMAC-SHA256 under a secret key, so
the same person still joins across rows but nobody without the key can test a guess, which
a plain hash of an e-mail address would allow), `drop`, or `keep`. Defaults come from the
feature schema's roles: PII and the entity key are hashed; sensitive attributes are kept,
because fairness monitoring needs the groups; model inputs are kept. A column the schema
does not know is dropped, so a field slipped past validation cannot carry PII in. A policy
that would keep a PII column raw is refused when it is loaded.

The key is `READINESS_PII_KEY` when set, else a random key generated once into
`$READINESS_HOME/pii.key` (mode 0600). Both are read as text, so setting the variable to
the file's content hashes alike. Changing the key makes new hashes differ from old ones.
"""

import contextlib
import hmac
import json
import os
import secrets
import stat
from collections.abc import Mapping
from enum import StrEnum
from hashlib import sha256
from pathlib import Path
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, model_validator

from readiness.documents import load_document
from readiness.errors import InvalidConfiguration, InvalidPolicy
from readiness.resources import shipped
from reference.platform.model.schema import ColumnRole, ColumnSpec, FeatureSchema

KEY_VARIABLE = "READINESS_PII_KEY"
MIN_KEY_CHARACTERS = 16
POLICY_FOLDER = shipped("reference.platform", "policies")


class PiiAction(StrEnum):
    HASH = "hash"
    DROP = "drop"
    KEEP = "keep"


class RoleDefaults(BaseModel):
    """The action for each kind of schema column that the policy does not name."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pii: PiiAction = PiiAction.HASH
    entity: PiiAction = PiiAction.HASH
    sensitive: PiiAction = PiiAction.KEEP
    feature: PiiAction = PiiAction.KEEP

    @model_validator(mode="after")
    def _pii_is_never_kept(self) -> Self:
        if self.pii is PiiAction.KEEP:
            raise ValueError("PII columns must be hashed or dropped, not kept")
        return self


class PiiPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    roles: RoleDefaults = RoleDefaults()
    columns: dict[str, PiiAction] = {}
    """Per-column actions that override the role defaults."""
    unknown: PiiAction = PiiAction.DROP
    """For a column the schema does not have."""
    rationale: str = ""

    def actions(self, schema: FeatureSchema) -> dict[str, PiiAction]:
        """The action of every schema column; refuses a policy that does not fit the schema."""
        names = {c.name for c in schema.columns}
        strays = sorted(set(self.columns) - names)
        if strays:
            raise InvalidPolicy(
                f"PII policy '{self.name}' names columns that schema '{schema.name}' lacks: "
                f"{', '.join(strays)}"
            )
        actions = {c.name: self.columns.get(c.name, self._default(c)) for c in schema.columns}
        for column in schema.columns:
            if column.role is ColumnRole.PII and actions[column.name] is PiiAction.KEEP:
                raise InvalidPolicy(
                    f"PII policy '{self.name}': column '{column.name}' is PII, so it must be "
                    "hashed or dropped, not kept"
                )
        return actions

    def _default(self, column: ColumnSpec) -> PiiAction:
        if column.role is ColumnRole.PII:
            return self.roles.pii
        if column.role is ColumnRole.ENTITY:
            return self.roles.entity
        return self.roles.sensitive if column.sensitive else self.roles.feature


class PiiRedactor:
    """Applies a policy to feature rows; the only way features reach the prediction log."""

    def __init__(self, policy: PiiPolicy, schema: FeatureSchema, key: bytes) -> None:
        if len(key) < MIN_KEY_CHARACTERS:
            raise InvalidConfiguration(f"the PII key needs {MIN_KEY_CHARACTERS}+ characters")
        self.policy = policy
        self.actions = policy.actions(schema)
        self._key = key

    def apply(self, row: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, value in row.items():
            action = self.actions.get(name, self.policy.unknown)
            if action is PiiAction.KEEP:
                out[name] = value
            elif action is PiiAction.HASH:
                out[name] = None if value is None else self.keyed_hash(value)
        return out

    def keyed_hash(self, value: object) -> str:
        """HMAC-SHA256 of the value's text (JSON for a non-string), hex."""
        text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
        return hmac.new(self._key, text.encode(), sha256).hexdigest()


def default_pii_policy_path() -> Path:
    return POLICY_FOLDER / "pii.yaml"


def load_pii_policy(path: Path | None = None) -> PiiPolicy:
    return load_document(path or default_pii_policy_path(), PiiPolicy, InvalidPolicy, "PII policy")


def load_pii_key(key_file: Path) -> bytes:
    """`READINESS_PII_KEY`, else the key in `key_file`, generated there on first use."""
    configured = os.environ.get(KEY_VARIABLE, "").strip()
    if configured:
        if len(configured) < MIN_KEY_CHARACTERS:
            raise InvalidConfiguration(
                f"{KEY_VARIABLE} is too short: it needs {MIN_KEY_CHARACTERS}+ characters"
            )
        return configured.encode()
    try:
        return _read_key(key_file)
    except FileNotFoundError:
        pass
    try:
        _create_key(key_file)
        return _read_key(key_file)
    except OSError as error:
        raise InvalidConfiguration(
            f"PII key file {key_file} cannot be created: {error.strerror or error}"
        ) from error


def _read_key(key_file: Path) -> bytes:
    try:
        mode = key_file.stat().st_mode
        text = key_file.read_text().strip()
    except FileNotFoundError:
        raise
    except OSError as error:
        raise InvalidConfiguration(
            f"PII key file {key_file} cannot be read: {error.strerror or error}"
        ) from error
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise InvalidConfiguration(
            f"PII key file {key_file} is open to other users (mode {stat.S_IMODE(mode):04o}); "
            "make it 0600"
        )
    if len(text) < MIN_KEY_CHARACTERS:
        raise InvalidConfiguration(f"PII key file {key_file} holds no usable key")
    return text.encode()


def _create_key(key_file: Path) -> None:
    """Written aside, then linked into place: no reader ever sees half a key, and when two
    processes start at once the first link wins and both use its key."""
    key_file.parent.mkdir(parents=True, exist_ok=True)
    aside = key_file.with_name(f".{key_file.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w") as out:
            out.write(secrets.token_hex(32) + "\n")
            out.flush()
            os.fsync(out.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(aside, key_file)
    finally:
        aside.unlink(missing_ok=True)
