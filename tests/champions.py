"""Approved copies of the session's model, for tests that need a champion that passes the
fairness policy (the quick model does not)."""

from readiness.home import Home


def register_approved_copy(home: Home) -> str:
    """Register the session model's artifact (version 1) again, approved: the quick model
    fails the whitepaper fairness policy, which is not what these tests are about. The new
    version's number."""
    from reference.platform.model.registry import (
        FAIRNESS_TAG,
        SCHEMA_TAG,
        SEMVER_TAG,
        ModelRegistry,
    )
    from reference.platform.model.served import SERVED_MODEL

    registry = ModelRegistry(f"sqlite:///{home.mlflow_db}")
    first = registry.client.get_model_version(SERVED_MODEL, "1")
    tags = {k: v for k, v in first.tags.items() if k not in (SEMVER_TAG, SCHEMA_TAG)}
    tags[FAIRNESS_TAG] = "[]"
    assert first.source is not None
    assert first.run_id is not None
    added = registry.register(SERVED_MODEL, first.source, first.run_id, first.tags[SCHEMA_TAG],
                              tags)  # fmt: skip
    registry.approve(SERVED_MODEL, added.version, "test", "same artifact, fair by fiat")
    from reference.platform.audit.lineage import lineage_of, record_lineage

    for record in lineage_of(home.audit_url, SERVED_MODEL, "1"):  # the copy's lineage too
        record_lineage(home.audit_url, record.model_copy(update={"version": str(added.version)}))
    return str(added.version)


def crown_champion(home: Home) -> str:
    """An approved copy of the session model, promoted; the champion's version."""
    from reference.platform.model.registry import ModelRegistry
    from reference.platform.model.served import SERVED_MODEL

    version = register_approved_copy(home)
    ModelRegistry(f"sqlite:///{home.mlflow_db}").promote(SERVED_MODEL, version)
    return version
