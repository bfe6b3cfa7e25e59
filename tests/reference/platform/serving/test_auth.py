import pytest

from readiness.errors import InvalidConfiguration
from reference.platform.serving.auth import KeyStore, Role, TenantKey, hash_key, new_key

ACME_KEY, GLOBEX_KEY = new_key(), new_key()
STORE = KeyStore(
    [
        TenantKey(tenant="acme", key_hash=hash_key(ACME_KEY), models=frozenset({"adult-income"})),
        TenantKey(
            tenant="globex",
            key_hash=hash_key(GLOBEX_KEY),
            roles=frozenset({Role.PREDICT, Role.ADMIN}),
            models=frozenset({"adult-income", "adult-income-teacher"}),
        ),
    ]
)


def test_a_known_key_identifies_its_tenant_roles_and_models() -> None:
    acme = STORE.identify(ACME_KEY)
    assert acme is not None
    assert acme.tenant == "acme"
    assert acme.has(Role.PREDICT)
    assert not acme.has(Role.ADMIN)
    assert acme.may_call("adult-income")
    assert not acme.may_call("adult-income-teacher")


@pytest.mark.parametrize(
    "presented",
    [None, "", "rk_" + "x" * 32, ACME_KEY + "x", "not-a-key", "rk_" + "a" * 500],
    ids=["missing", "empty", "unknown", "altered", "malformed", "oversized"],
)
def test_anything_but_a_known_key_identifies_nobody(presented: str | None) -> None:
    assert STORE.identify(presented) is None


def test_keys_are_stored_only_as_hashes() -> None:
    record = TenantKey(tenant="acme", key_hash=hash_key(ACME_KEY))
    assert ACME_KEY not in record.model_dump_json()
    assert record.key_hash.startswith("sha256:")


def test_a_tenant_configured_twice_is_refused() -> None:
    twice = [TenantKey(tenant="acme", key_hash=hash_key(new_key())) for _ in range(2)]
    with pytest.raises(InvalidConfiguration, match="tenants: acme configured twice"):
        KeyStore(twice)


def test_new_keys_are_distinct_and_long() -> None:
    keys = {new_key() for _ in range(100)}
    assert len(keys) == 100
    assert all(len(k) >= 32 for k in keys)
