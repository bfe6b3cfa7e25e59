"""The stores a descriptor names: the MLflow registry (through the MLflow client, as any
MLflow user's), the Feast registry, and the audit store in the readiness audit format
(hash-chained tables, read and verified with that format's own reader)."""

import re
import sqlite3
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assessment.collectors import Provenances
from assessment.facts import Fact
from harness.system.canaries import found_in
from readiness.descriptor import TargetDescriptor
from readiness.extras import missing_modules, registry_reader_missing

PROVIDES = ("registry", "feature_store", "audit_store", "tamper_check")
MAX_VERSIONS = 50
PII_SAMPLE_ROWS = 2000
LOG_SETTLE_S = 15.0
"""How long the sampled live predictions may take to reach the prediction log: a log that
is written after the answer (a stream's sink, an edge device's store-and-forward) holds a
prediction a few seconds later; one missing after this is missing."""


def collect_stores(
    descriptor: TargetDescriptor, base: Path, stamp: Provenances, sampled: Sequence[str] = ()
) -> list[Fact]:
    """`sampled`: request ids of live predictions, looked for in the prediction log."""
    return [
        _registry(descriptor, stamp),
        _feature_store(descriptor, base, stamp),
        *_audit(descriptor, stamp, sampled),
    ]


def _registry(descriptor: TargetDescriptor, stamp: Provenances) -> Fact:
    if descriptor.registry is None:
        return stamp.unavailable("registry", "descriptor", "no registry declared")
    uri, model = descriptor.registry.uri, descriptor.registry.model
    cannot = registry_reader_missing(uri)
    if cannot:
        return stamp.unavailable("registry", uri, cannot)
    from mlflow import MlflowClient

    try:
        client = MlflowClient(uri, registry_uri=uri)
        found = client.search_model_versions(f"name = '{model}'", max_results=MAX_VERSIONS)
        aliases = {k: str(v) for k, v in client.get_registered_model(model).aliases.items()}
        versions: dict[str, Any] = {}
        for version in found:
            versions[str(version.version)] = {
                "tags": dict(version.tags),
                "run": _run(client, version.run_id),
            }
    except Exception as error:  # any MLflow failure: the registry cannot be read
        return stamp.error("registry", uri, error)
    if not versions:
        return stamp.unavailable("registry", uri, f"the registry has no model '{model}'")
    declared = descriptor.registry.aliases
    names = {"champion": declared.champion, "previous": declared.previous}
    roles = {role: aliases.get(name) for role, name in names.items()}
    return stamp.fact("registry", uri, {"model": model, "aliases": aliases, "versions": versions,
                                        "alias_names": names, "roles": roles})  # fmt: skip


def _run(client: Any, run_id: str | None) -> dict[str, Any]:
    """The run's parameters, metrics and tags, and the datasets it logged as inputs (MLflow's
    own lineage: `mlflow.source.git.commit`, `log_input`)."""
    if not run_id:
        return {}
    run = client.get_run(run_id)
    inputs = getattr(run, "inputs", None)
    datasets = [
        {"name": d.dataset.name, "digest": d.dataset.digest}
        for d in (getattr(inputs, "dataset_inputs", None) or [])
    ]
    return {"id": run_id, "params": dict(run.data.params), "metrics": dict(run.data.metrics),
            "tags": {k: v for k, v in run.data.tags.items() if not k.startswith("mlflow.log")},
            "datasets": datasets}  # fmt: skip


def _feature_store(descriptor: TargetDescriptor, base: Path, stamp: Provenances) -> Fact:
    declared = descriptor.feature_store
    if declared is None:
        return stamp.unavailable("feature_store", "descriptor", "no feature store declared")
    path = descriptor.resolve(declared.registry, base)
    if not path.is_file():
        return stamp.unavailable("feature_store", str(path), f"no Feast registry at {path}")
    if missing_modules("feast"):
        why = "reading a Feast registry needs the 'feast' extra: pip install 'readiness[feast]'"
        return stamp.unavailable("feature_store", str(path), why)
    try:
        from feast.infra.registry.registry import Registry
        from feast.repo_config import RegistryConfig

        registry = Registry(declared.project, RegistryConfig(path=str(path)), repo_path=path.parent)
        views = [
            {
                "name": view.name,
                "timestamp_field": view.batch_source.timestamp_field if view.batch_source else "",
                "ttl_s": view.ttl.total_seconds() if view.ttl else None,
                "features": len(view.features),
            }
            for view in registry.list_feature_views(declared.project)
        ]
    except Exception as error:  # Feast raises many types for a registry it cannot read
        return stamp.error("feature_store", str(path), error)
    return stamp.fact(
        "feature_store", str(path), {"project": declared.project, "feature_views": views}
    )


def _audit(descriptor: TargetDescriptor, stamp: Provenances, sampled: Sequence[str]) -> list[Fact]:
    url = descriptor.audit_store
    if url is None:
        why = "no audit store declared"
        return [
            stamp.unavailable("audit_store", "descriptor", why),
            stamp.unavailable("tamper_check", "descriptor", why),
        ]
    try:
        audit = stamp.fact("audit_store", _shown(url), audit_summary(url, sampled))
    except Exception as error:  # not a store in the audit format, or unreachable
        audit = stamp.error("audit_store", _shown(url), error)
    return [audit, _tamper_check(url, stamp)]


def _shown(url: str) -> str:
    return re.sub(r"://([^:/@]+):[^@]+@", r"://\1:***@", url)


def audit_summary(url: str, sampled: Sequence[str] = ()) -> dict[str, Any]:
    from sqlalchemy import func, select

    from readiness.audit.store import AuditStore
    from readiness.audit.tables import CHAINED, audit_events, deployment_log, lineage
    from readiness.audit.verify import verify

    _wait_for_logged(url, sampled)
    report = verify(url)
    with AuditStore(url, create=False, must_exist=True) as store, store.reading() as connection:
        rows = {
            name: int(connection.execute(select(func.count()).select_from(table)).scalar_one())
            for name, table in CHAINED.items()
        }
        oldest = [
            connection.execute(select(func.min(table.c.at))).scalar_one()
            for table in CHAINED.values()
        ]
        deployments = [
            {
                "at": _iso(r["at"]),
                "action": r["action"],
                "from_version": r["from_version"],
                "to_version": r["to_version"],
                "actor": r["actor"],
            }
            for r in connection.execute(
                select(deployment_log).order_by(deployment_log.c.seq)
            ).mappings()
        ]
        versions = sorted({str(v) for v in connection.execute(select(lineage.c.version)).scalars()})
        prunes = [
            {"at": _iso(r["at"]), "detail": r["detail"]}
            for r in connection.execute(
                select(audit_events).where(audit_events.c.action == "prune")
            ).mappings()
        ]
        raw_pii, checked = _raw_pii(connection)
        logged = _logged(connection, sampled)
    broken = report.broken
    return {
        "rows": rows,
        "chains_ok": report.ok,
        "chain_problem": "; ".join(
            f"{t.table}: {t.breach} at seq {t.first_broken_seq} ({t.reason})" for t in broken
        )
        if broken
        else "",
        "deployments": deployments,
        "lineage_versions": versions,
        "prunes": prunes,
        "oldest_row_at": _iso(min((o for o in oldest if o is not None), default=None)),
        "raw_pii_rows": raw_pii,
        "pii_checked_rows": checked,
        "sampled_predictions": len(sampled),
        "sampled_logged": logged,
        "observed_at": datetime.now(UTC).isoformat(),
    }


def _wait_for_logged(url: str, sampled: Sequence[str]) -> None:
    """Until every sampled prediction is logged, or `LOG_SETTLE_S` passed."""
    from readiness.audit.store import AuditStore

    deadline = time.monotonic() + LOG_SETTLE_S
    while sampled and time.monotonic() < deadline:
        with AuditStore(url, create=False, must_exist=True) as store, store.reading() as reading:
            if _logged(reading, sampled) >= len(set(sampled)):
                return
        time.sleep(0.5)


def _logged(connection: Any, sampled: Sequence[str]) -> int:
    """How many of the sampled live predictions the prediction log holds."""
    from sqlalchemy import select

    from readiness.audit.tables import predictions

    if not sampled:
        return 0
    query = select(predictions.c.request_id).where(predictions.c.request_id.in_(list(sampled)))
    return len(set(connection.execute(query).scalars()))


def _raw_pii(connection: Any) -> tuple[int, int]:
    """Logged feature rows (the latest) that hold, in clear, a canary the harness planted in
    a declared personal-data column (`harness.system.canaries`): proof that the target
    logged personal data as it received it."""
    from sqlalchemy import select

    from readiness.audit.tables import predictions

    query = select(predictions.c.features).order_by(predictions.c.seq.desc()).limit(PII_SAMPLE_ROWS)
    values = [str(v or "") for v in connection.execute(query).scalars()]
    return sum(1 for v in values if found_in(v)), len(values)


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    from readiness.audit.encoding import utc

    return utc(value).isoformat()


def _tamper_check(url: str, stamp: Provenances) -> Fact:
    """Alter one logged prediction in a copy of the store and verify the copy: the chain
    must name the row. Only a SQLite store can be copied without touching the original."""
    if not url.startswith("sqlite:///"):
        return stamp.unavailable("tamper_check", _shown(url), "only a SQLite audit store is copied")
    from readiness.audit.verify import verify

    source = Path(url.removeprefix("sqlite:///"))
    with tempfile.TemporaryDirectory() as folder:
        copy = Path(folder) / "audit.db"
        try:
            with (
                sqlite3.connect(f"file:{source}?mode=ro", uri=True) as live,
                sqlite3.connect(copy) as target,
            ):
                live.backup(target)
            with sqlite3.connect(copy) as altered:
                row = altered.execute("SELECT seq FROM predictions ORDER BY seq LIMIT 1").fetchone()
                if row is None:
                    return stamp.unavailable(
                        "tamper_check", _shown(url), "no logged prediction to alter"
                    )
                altered.execute(
                    "UPDATE predictions SET probability = 1 - probability WHERE seq = ?", row
                )
            report = verify(f"sqlite:///{copy}")
        except Exception as error:  # the copy or the check itself failed
            return stamp.error("tamper_check", _shown(url), error)
    broken = report.broken
    return stamp.fact(
        "tamper_check",
        _shown(url),
        {
            "altered": f"predictions seq {row[0]} (probability)",
            "detected": bool(broken),
            "found": "; ".join(
                f"{t.table}: {t.breach} at seq {t.first_broken_seq} ({t.reason})" for t in broken
            )
            or "nothing",
        },
    )
