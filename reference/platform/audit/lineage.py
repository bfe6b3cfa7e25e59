"""Model lineage: which code, data, schema and hyperparameters made which artifact.

One chained row per registered model version, written when the version is registered, so
an auditor can go from a served version to the code version, the training data digest, the
hyperparameters and the sha256 of the file that answers, and trust that none of it was
rewritten afterwards. MLflow keeps the same facts as tags, but MLflow's store is mutable.
"""

import json
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import select

from readiness.audit.chain import append
from readiness.audit.encoding import utc
from readiness.audit.store import AuditStore
from readiness.audit.tables import SEQ, lineage


class LineageRecord(BaseModel):
    model: str
    version: str
    code_version: str
    training_data_digest: str
    schema_digest: str
    hyperparameters: dict[str, Any]
    artifact_sha256: str
    run_id: str
    at: datetime = Field(default_factory=lambda: datetime.now(UTC))


def record_lineage(url: str, record: LineageRecord) -> int:
    """Append `record` to the store's lineage chain; returns its seq."""
    row = record.model_dump()
    row["hyperparameters"] = json.dumps(record.hyperparameters, sort_keys=True)
    with AuditStore(url) as store, store.writing() as connection:
        (stored,) = append(connection, lineage, [row])
    return int(stored[SEQ])


def lineage_of(url: str, model: str, version: str | None = None) -> list[LineageRecord]:
    """The lineage of `model` (one version, or all), oldest first."""
    query = select(lineage).where(lineage.c.model == model).order_by(lineage.c[SEQ])
    if version is not None:
        query = query.where(lineage.c.version == version)
    with AuditStore(url, create=False, must_exist=True) as store, store.reading() as connection:
        rows = connection.execute(query).mappings().all()
    return [
        LineageRecord.model_validate(
            {**row, "at": utc(row["at"]), "hyperparameters": json.loads(row["hyperparameters"])}
        )
        for row in rows
    ]
