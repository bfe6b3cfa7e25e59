"""The audit store's tables: one schema for the prediction log and the audit trail.

Every table here but `chain_heads` is hash-chained: it carries `seq` (its position in the
table's chain, assigned under the chain's lock, so in commit order) and `row_hash`. The
tables are declared in one place, not beside each writer, because `verify`, `prune` and
`export` must know every chained table without importing the code that writes them.
Every chained table has an `at` column: retention reads it.
"""

from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

SEQ = "seq"
ROW_HASH = "row_hash"
AT = "at"


def _chained(name: str, *columns: Column[Any], keyed_by_seq: bool = True) -> Table:
    """A table with its chain columns; `seq` is its primary key unless it has its own."""
    seq = Column(SEQ, BigInteger, nullable=False, unique=not keyed_by_seq,
                 primary_key=keyed_by_seq, autoincrement=False)  # fmt: skip
    return Table(name, metadata, seq, *columns, Column(ROW_HASH, String(64), nullable=False))


predictions = _chained(
    "predictions",
    Column("request_id", String(36), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column(AT, DateTime(timezone=True), nullable=False, index=True),
    Column("tenant", String(64), nullable=False),
    Column("model", String(128), nullable=False),
    Column("version", String(32), nullable=False),
    Column("probability", Float, nullable=False),
    Column("label", Integer, nullable=False),
    Column("features", Text),
    Column("latency_ms", Float),
    keyed_by_seq=False,
)
shadow_predictions = _chained(
    "shadow_predictions",
    Column("request_id", String(36), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column(AT, DateTime(timezone=True), nullable=False),
    Column("model", String(128), nullable=False),
    Column("version", String(32), nullable=False),
    Column("probability", Float, nullable=False),
    keyed_by_seq=False,
)
feedback = _chained(
    "feedback",
    Column("request_id", String(36), nullable=False),
    Column("position", Integer, nullable=False),
    Column(AT, DateTime(timezone=True), nullable=False),
    Column("label", Integer, nullable=False),
)
Index("feedback_prediction", feedback.c.request_id, feedback.c.position)
deployment_log = _chained(
    "deployment_log",
    Column(AT, DateTime(timezone=True), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("model", String(128), nullable=False),
    Column("action", String(32), nullable=False),
    Column("from_version", String(32)),
    Column("to_version", String(32)),
    Column("detail", String(1000), nullable=False),
)
lineage = _chained(
    "lineage",
    Column(AT, DateTime(timezone=True), nullable=False),
    Column("model", String(128), nullable=False),
    Column("version", String(32), nullable=False),
    Column("code_version", String(64), nullable=False),
    Column("training_data_digest", String(64), nullable=False),
    Column("schema_digest", String(64), nullable=False),
    Column("hyperparameters", Text, nullable=False),
    Column("artifact_sha256", String(64), nullable=False),
    Column("run_id", String(64), nullable=False),
)
audit_events = _chained(
    "audit_events",
    Column(AT, DateTime(timezone=True), nullable=False),
    Column("actor", String(128), nullable=False),
    Column("action", String(32), nullable=False),
    Column("detail", Text, nullable=False),
)
chain_heads = Table(
    "chain_heads",
    metadata,
    Column("table_name", String(64), primary_key=True),
    Column("last_seq", BigInteger, nullable=False),
    Column("last_hash", String(64), nullable=False),
    Column("base_seq", BigInteger, nullable=False),
    Column("base_hash", String(64), nullable=False),
)

CHAINED: dict[str, Table] = {
    table.name: table
    for table in (predictions, shadow_predictions, feedback, deployment_log, lineage, audit_events)
}
"""Every chained table by name, in the order `verify` reports them."""
