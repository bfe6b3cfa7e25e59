"""The API keys of a reference deployment, whatever its architecture: one for clients, one
for operators, one the monitors act with; the tenants they stand for; and the credentials
file the descriptor names (the monitors' key stays out of it: no client needs it)."""

from pathlib import Path

from reference.platform.serving.auth import Role, TenantKey, hash_key, new_key

API_KEY_ENV, ADMIN_KEY_ENV = "READINESS_API_KEY", "READINESS_ADMIN_KEY"
MONITOR_KEY_ENV = "READINESS_MONITOR_ADMIN_KEY"


def new_keys() -> dict[str, str]:
    """Fresh keys by the variable that carries each."""
    return {API_KEY_ENV: new_key(), ADMIN_KEY_ENV: new_key(), MONITOR_KEY_ENV: new_key()}


def tenants(keys: dict[str, str], model: str) -> list[TenantKey]:
    """`demo` predicts, `ops` predicts and administers, `monitor` administers only."""
    models = frozenset({model})
    return [
        TenantKey(tenant="demo", key_hash=hash_key(keys[API_KEY_ENV]), models=models),
        TenantKey(tenant="ops", key_hash=hash_key(keys[ADMIN_KEY_ENV]), models=models,
                  roles=frozenset({Role.PREDICT, Role.ADMIN})),
        TenantKey(tenant="monitor", key_hash=hash_key(keys[MONITOR_KEY_ENV]), models=models,
                  roles=frozenset({Role.ADMIN})),
    ]  # fmt: skip


def write_credentials(place: Path, keys: dict[str, str]) -> Path:
    """`place/credentials.env` (mode 0600) with the client and operator keys."""
    credentials = place / "credentials.env"
    credentials.touch(mode=0o600)
    shared = {name: key for name, key in keys.items() if name != MONITOR_KEY_ENV}
    credentials.write_text("".join(f"{name}={key}\n" for name, key in shared.items()))
    return credentials
