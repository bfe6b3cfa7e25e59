"""Appending rows to a hash chain, inside the writer's own transaction.

Each chained table is one chain: row n carries `seq` = n and
`row_hash` = sha256(row n-1's hash || canonical encoding of row n), and the table's
`chain_heads` row holds the last seq and hash (and the base: where the chain starts after
a prune). The head is read with `FOR UPDATE` and written back in the transaction that
inserts the rows, so the rows and the head commit together or not at all, and concurrent
writers (in any process) extend one chain in turn instead of forking it. The caller's
transaction must come from `AuditStore.writing()`, which also serialises SQLite writers.

Its cost on the hot path (per row and per transaction, plain, chained and with the PII
policy) is measured by `benchmarks/audit_chain.py`; `docs/platform.md` gives the figures.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Table, bindparam, insert, select, update

from readiness.audit.encoding import RowCodec
from readiness.audit.tables import CHAINED, ROW_HASH, SEQ, chain_heads
from readiness.errors import AuditStoreFailed

CODECS = {name: RowCodec(table) for name, table in CHAINED.items()}
_HEAD = select(chain_heads).where(chain_heads.c.table_name == bindparam("chain"))
_LOCKED_HEAD = _HEAD.with_for_update()
_EXTEND = (
    update(chain_heads)
    .where(chain_heads.c.table_name == bindparam("chain"))
    .values(last_seq=bindparam("new_seq"), last_hash=bindparam("new_hash"))
)
_INSERT = {name: insert(table) for name, table in CHAINED.items()}
"""Statements built once: building them per call cost more than running them."""


@dataclass(frozen=True)
class ChainHead:
    table: str
    last_seq: int
    last_hash: str
    base_seq: int
    """The seq of the last row pruned (0: nothing pruned); the chain resumes after it."""
    base_hash: str


def head(connection: Connection, table: str, *, lock: bool = False) -> ChainHead | None:
    query = _LOCKED_HEAD if lock else _HEAD
    row = connection.execute(query, {"chain": table}).mappings().one_or_none()
    if row is None:
        return None
    return ChainHead(table, row["last_seq"], row["last_hash"], row["base_seq"], row["base_hash"])


def append(
    connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Insert `rows` at the end of `table`'s chain; returns them as stored (seq, hash)."""
    if not rows:
        return []
    current = head(connection, table.name, lock=True)
    if current is None:
        raise AuditStoreFailed(f"the {table.name} chain has no head: open the store to create it")
    codec = CODECS[table.name]
    seq, previous = current.last_seq, current.last_hash
    stored: list[dict[str, Any]] = []
    for row in rows:
        seq += 1
        values = codec.normalise(row)
        values[SEQ] = seq
        previous = values[ROW_HASH] = codec.digest(previous, values)
        stored.append(values)
    connection.execute(_INSERT[table.name], stored)
    connection.execute(_EXTEND, {"chain": table.name, "new_seq": seq, "new_hash": previous})
    return stored


def move_base(connection: Connection, table: str, base_seq: int, base_hash: str) -> None:
    """After the rows up to `base_seq` were deleted: the chain now starts after them."""
    connection.execute(
        update(chain_heads)
        .where(chain_heads.c.table_name == table)
        .values(base_seq=base_seq, base_hash=base_hash)
    )
