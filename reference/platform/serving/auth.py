"""Per-tenant API keys, stored only as hashes, with roles and model entitlements.

Keys are random tokens with over 128 bits of entropy, so a plain sha256 is the right hash
(password stretching protects low-entropy secrets; it would only slow every request here).
Comparison is constant-time. A key is never logged or returned after it is issued.
"""

import hashlib
import hmac
import secrets
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from readiness.errors import InvalidConfiguration

KEY_PREFIX = "rk_"
ANONYMOUS = "anonymous"
"""The tenant of a request where auth is switched off: counted, limited and logged as one."""
HASH_PREFIX = "sha256:"


class Role(StrEnum):
    PREDICT = "predict"
    ADMIN = "admin"


class TenantKey(BaseModel):
    """One tenant's credentials and rights as configured; `key_hash` is `sha256:<hex>`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tenant: str = Field(pattern=r"^[a-z][a-z0-9-]{0,62}$")
    key_hash: str = Field(pattern=r"^sha256:[0-9a-f]{64}$")
    roles: frozenset[Role] = frozenset({Role.PREDICT})
    models: frozenset[str] = frozenset()
    """Models the tenant may call; empty means none."""


class Identity(BaseModel):
    model_config = ConfigDict(frozen=True)

    tenant: str
    roles: frozenset[Role]
    models: frozenset[str]

    def may_call(self, model: str) -> bool:
        return model in self.models

    def has(self, role: Role) -> bool:
        return role in self.roles


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(24)


def hash_key(key: str) -> str:
    return HASH_PREFIX + hashlib.sha256(key.encode()).hexdigest()


class KeyStore:
    """Resolves a presented key to its tenant; unknown or malformed keys resolve to None."""

    def __init__(self, keys: list[TenantKey]) -> None:
        tenants = [k.tenant for k in keys]
        if len(set(tenants)) != len(tenants):
            twice = sorted({t for t in tenants if tenants.count(t) > 1})
            raise InvalidConfiguration(f"tenants: {', '.join(twice)} configured twice")
        self._keys = keys

    def identify(self, presented: str | None) -> Identity | None:
        if not presented or not presented.startswith(KEY_PREFIX) or len(presented) > 256:
            return None
        digest = hash_key(presented)
        found: TenantKey | None = None
        for candidate in self._keys:  # compare against every key: timing reveals nothing
            if hmac.compare_digest(candidate.key_hash, digest):
                found = candidate
        if found is None:
            return None
        return Identity(tenant=found.tenant, roles=found.roles, models=found.models)

    def authorise(self, presented: str | None, role: Role, model: str | None) -> Identity:
        """The caller's identity; a `Problem` (401 without a known key, 403 without the
        role or the model's entitlement) otherwise, before any other work is done."""
        from readiness.errors import Problem

        identity = self.identify(presented)
        if identity is None:
            raise Problem(401, "missing or unknown API key", {"WWW-Authenticate": "ApiKey"})
        if not identity.has(role):
            raise Problem(403, f"tenant '{identity.tenant}' lacks the {role} role")
        if model is not None and not identity.may_call(model):
            raise Problem(403, f"tenant '{identity.tenant}' is not entitled to model '{model}'")
        return identity
