"""The audit trail: a tamper-evident store of what the platform decided, and why.

One SQLAlchemy store (a SQLite file under `READINESS_HOME` by default; a PostgreSQL URL
works) holds the prediction log (answers with their features, PII hashed or dropped by
policy; shadow answers; feedback), the deployment log, model lineage and the store's own
audit events. Every one of those tables is a hash chain (`chain`), so `verify` finds an
edited, deleted or inserted row and names the table and row. Retention policies delete old
rows through `prune`, which keeps the chains verifiable and logs itself; `export` hands a
table to auditors as JSON lines or parquet, hashes included.

Modules, one job each: `tables` (the schema), `encoding` (the bytes a row's hash covers),
`store` (opening it; serialised write transactions), `chain` (appending), `verify`,
`pii` (policy, keyed hash, key), `events`, `retention`, `export`, `lineage`.
"""

from reference.platform.audit.chain import ChainHead, append
from reference.platform.audit.events import AuditEvent
from reference.platform.audit.export import ExportFormat, export
from reference.platform.audit.lineage import LineageRecord, lineage_of, record_lineage
from reference.platform.audit.pii import (
    PiiAction,
    PiiPolicy,
    PiiRedactor,
    load_pii_key,
    load_pii_policy,
)
from reference.platform.audit.retention import (
    PruneReport,
    RetentionPolicy,
    prune,
    retention_policy,
)
from reference.platform.audit.store import AuditStore
from reference.platform.audit.verify import Breach, TableVerdict, VerifyReport, verify

__all__ = [
    "AuditEvent",
    "AuditStore",
    "Breach",
    "ChainHead",
    "ExportFormat",
    "LineageRecord",
    "PiiAction",
    "PiiPolicy",
    "PiiRedactor",
    "PruneReport",
    "RetentionPolicy",
    "TableVerdict",
    "VerifyReport",
    "append",
    "export",
    "lineage_of",
    "load_pii_key",
    "load_pii_policy",
    "prune",
    "record_lineage",
    "retention_policy",
    "verify",
]
