"""The audit trail: a tamper-evident store of what the platform decided, and why.

One SQLAlchemy store (a SQLite file under `READINESS_HOME` by default; a PostgreSQL URL
works) holds the prediction log (answers with their features, PII hashed or dropped by
policy; shadow answers; feedback), the deployment log, model lineage and the store's own
audit events. Every one of those tables is a hash chain (`chain`), so `verify` finds an
edited, deleted or inserted row and names the table and row. Retention policies delete old
rows through `prune`, which keeps the chains verifiable and logs itself; `export` hands a
table to auditors as JSON lines or parquet, hashes included.

The format itself (tables, row encoding, the store, appending, events, verification) is
a contract that the assessment reads too, so it lives in `readiness.audit`; here are the
platform's writers and policies over it, one job each: `prediction_log` (what was
answered, on which features), `pii` (policy, keyed hash, key), `retention`, `export`,
`lineage`.
"""

from readiness.audit.chain import ChainHead, append
from readiness.audit.events import AuditEvent
from readiness.audit.store import AuditStore
from readiness.audit.verify import Breach, TableVerdict, VerifyReport, verify
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
