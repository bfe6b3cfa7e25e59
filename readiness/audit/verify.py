"""Checking every chain of the audit store: was any row edited, deleted or slipped in?

Each chain is walked in seq order from its base, recomputing every row's hash from the
previous row's stored hash, and the end is compared with the chain's head. What breaks
where tells what happened: a hash that does not match is an edited row, a missing seq a
deleted row, a head beyond the last row a deleted tail, a head whose hash differs an edited
head (or rows written around the chain), and a base that no prune event records rows
removed from the start. Tampering is a finding, not an error: the report says per table
where its chain first breaks. One read snapshot covers the whole walk, so concurrent
writers neither block it nor make it see half a transaction.

What a chain cannot show: someone able to write the store can rewrite a whole chain from
some row on, hashes and head included, because the hash has no secret. Keep the heads that
`verify` reports (last seq and hash) somewhere else; a later head must extend them.
"""

from collections.abc import Iterable
from enum import StrEnum

from pydantic import BaseModel
from sqlalchemy import Connection, RowMapping, Table, select

from readiness.audit.chain import CODECS, ChainHead, head
from readiness.audit.encoding import GENESIS
from readiness.audit.events import PRUNE, AuditEvent, last_event
from readiness.audit.store import AuditStore
from readiness.audit.tables import CHAINED, ROW_HASH, SEQ

STREAM_ROWS = 5000


class Breach(StrEnum):
    EDITED = "edited row"
    MISSING = "deleted row"
    TAIL_DELETED = "deleted tail"
    HEAD_MISMATCH = "head mismatch"
    BASE_MISMATCH = "base mismatch"
    NO_HEAD = "no head"


class TableVerdict(BaseModel):
    table: str
    rows_checked: int
    ok: bool
    first_broken_seq: int | None = None
    breach: Breach | None = None
    reason: str | None = None
    last_seq: int | None = None
    """An intact chain's head: keep it elsewhere, and a later head must extend it."""
    last_hash: str | None = None


class VerifyReport(BaseModel):
    store: str
    """The store's URL, password hidden."""
    tables: list[TableVerdict]

    @property
    def ok(self) -> bool:
        return all(t.ok for t in self.tables)

    @property
    def broken(self) -> list[TableVerdict]:
        return [t for t in self.tables if not t.ok]


def verify(url: str) -> VerifyReport:
    """Walk every chain of the store at `url`; the store must exist."""
    with AuditStore(url, create=False, must_exist=True) as store, store.reading() as connection:
        prune = last_event(connection, PRUNE)
        verdicts = [_verify_table(connection, table, prune) for table in CHAINED.values()]
    return VerifyReport(store=store.shown, tables=verdicts)


def _verify_table(connection: Connection, table: Table, prune: AuditEvent | None) -> TableVerdict:
    found = head(connection, table.name)
    query = select(table).order_by(table.c[SEQ]).execution_options(yield_per=STREAM_ROWS)
    with connection.execute(query) as result:
        rows = result.mappings()
        if found is None:
            first = next(iter(rows), None)
            if first is None:
                return TableVerdict(table=table.name, rows_checked=0, ok=True)
            return _broken(table.name, 1, first[SEQ], Breach.NO_HEAD, "the chain has no head row")
        base_problem = _base_problem(found, prune)
        if base_problem is not None:
            return _broken(table.name, 0, found.base_seq, Breach.BASE_MISMATCH, base_problem)
        return _walk(found, rows)


def _walk(found: ChainHead, rows: Iterable[RowMapping]) -> TableVerdict:
    name, codec = found.table, CODECS[found.table]
    expected, previous, checked = found.base_seq + 1, found.base_hash, 0
    for row in rows:
        checked += 1
        seq = row[SEQ]
        if seq < expected:
            reason = f"row {seq} lies before the chain's start (after row {found.base_seq})"
            return _broken(name, checked, seq, Breach.BASE_MISMATCH, reason)
        if seq > expected:
            gone = f"row {expected}" if seq == expected + 1 else f"rows {expected}..{seq - 1}"
            return _broken(name, checked, expected, Breach.MISSING, f"{gone} deleted")
        if codec.digest(previous, row) != row[ROW_HASH]:
            reason = f"row {seq} does not match its hash: it (or row {seq - 1}'s hash) was edited"
            return _broken(name, checked, seq, Breach.EDITED, reason)
        previous, expected = row[ROW_HASH], seq + 1
    last = expected - 1
    if last < found.last_seq:
        reason = f"the head names row {found.last_seq}, the table ends at row {last}"
        return _broken(name, checked, last + 1, Breach.TAIL_DELETED, reason)
    if last > found.last_seq:
        reason = f"row {found.last_seq + 1} lies past the head: written around the chain"
        return _broken(name, checked, found.last_seq + 1, Breach.HEAD_MISMATCH, reason)
    if previous != found.last_hash:
        reason = f"the head's hash is not row {last}'s: the chain head was edited"
        return _broken(name, checked, last, Breach.HEAD_MISMATCH, reason)
    return TableVerdict(table=name, rows_checked=checked, ok=True,
                        last_seq=found.last_seq, last_hash=found.last_hash)  # fmt: skip


def _base_problem(found: ChainHead, prune: AuditEvent | None) -> str | None:
    """Rows leave the start of a chain only by a prune, and the last prune names the base."""
    base_seq, base_hash = found.base_seq, found.base_hash
    if base_seq == 0 and base_hash == GENESIS:
        return None
    recorded = (prune.detail.get("tables", {}) if prune else {}).get(found.table)
    if recorded is None:
        return f"the chain starts after row {base_seq}, and no prune event records that"
    if (recorded.get("base_seq"), recorded.get("base_hash")) != (base_seq, base_hash):
        return (
            f"the chain starts after row {base_seq}, but the last prune "
            f"(event {prune.seq if prune else '?'}) left it after row {recorded.get('base_seq')}"
        )
    return None


def _broken(table: str, checked: int, seq: int, breach: Breach, reason: str) -> TableVerdict:
    return TableVerdict(table=table, rows_checked=checked, ok=False,
                        first_broken_seq=seq, breach=breach, reason=reason)  # fmt: skip
