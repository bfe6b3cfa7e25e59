"""An edge release: what a device needs to serve a model version, and the signed manifest
that says it may.

The manifest names the model file and the monitor reference by sha256 and carries canary
rows with the answers the cloud got on them; the signature covers all of it. A device
verifies the signature under its pinned key, then each file against its hash, then runs the
canaries and compares (the smoke test): a model that is corrupt, unsigned, signed by
another key, or answers differently on the device is refused before it serves anything.
"""

import json
import math
from collections.abc import Mapping
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import BaseModel, ConfigDict, Field

from reference.edge.signing import sign, verify

CANARY_TOLERANCE = 0.02
"""How far a device's answer on a canary row may be from the cloud's (INT8 kernels differ a
little between machines; a broken model is far off)."""


class Release(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str = Field(min_length=1)
    version: str = Field(min_length=1)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size: int = Field(gt=0)
    reference_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    canary_rows: list[dict[str, Any]] = Field(min_length=1)
    canary_answers: list[float] = Field(min_length=1)
    released_at: float
    signature: str = ""

    def payload(self) -> bytes:
        """The bytes the signature covers: every field but the signature, canonical JSON."""
        fields = self.model_dump(mode="json", exclude={"signature"})
        return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()

    def signed(self, key: Ed25519PrivateKey) -> "Release":
        return self.model_copy(update={"signature": sign(key, self.payload())})

    def verify(self, key: Ed25519PublicKey) -> None:
        """Raise IntegrityFailed unless signed by the pinned key (an empty one never is)."""
        verify(key, self.payload(), self.signature)

    def object_names(self) -> tuple[str, str]:
        """Where the model file and the monitor reference lie in the release bucket."""
        prefix = f"{self.model}/{self.version}/{self.sha256[:12]}"
        return f"{prefix}/model.onnx", f"{prefix}/reference.json"


def canary_rows(frame_rows: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Rows as JSON can carry them (NaN as null)."""
    return [{k: (None if _is_nan(v) else v) for k, v in row.items()} for row in frame_rows]


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)
