"""Export of one audited table for auditors: JSON lines or parquet, in chain order.

Rows go out as they are stored, `seq` and `row_hash` included, with datetimes in UTC, so an
auditor can recompute the chain from the file alone (sha256 of the previous hash and the
row's canonical encoding; `readiness.audit.encoding`) without access to the
store. Rows are streamed, so a table larger than memory exports all the same; the file
appears under its name only once complete.
"""

import json
from collections.abc import Iterator
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import Table, select

from readiness.audit.chain import CODECS
from readiness.audit.encoding import Kind, utc
from readiness.audit.store import AuditStore
from readiness.audit.tables import CHAINED, ROW_HASH, SEQ
from readiness.errors import AuditStoreFailed, InvalidInput

BATCH_ROWS = 5000
ARROW_TYPES = {
    Kind.TEXT: pa.string(),
    Kind.INTEGER: pa.int64(),
    Kind.FLOAT: pa.float64(),
    Kind.DATETIME: pa.timestamp("us", tz="UTC"),
}


class ExportFormat(StrEnum):
    JSONL = "jsonl"
    PARQUET = "parquet"


def audited_table(name: str) -> Table:
    if name not in CHAINED:
        raise InvalidInput(f"no audited table '{name}' (choose one of {', '.join(CHAINED)})")
    return CHAINED[name]


def export(url: str, table: str, format: ExportFormat, path: Path) -> int:
    """Write every row of `table` to `path`; returns the number of rows."""
    chosen = audited_table(table)
    partial = path.with_name(f".{path.name}.partial")
    try:
        with AuditStore(url, create=False, must_exist=True) as store, store.reading() as db:
            query = select(chosen).order_by(chosen.c[SEQ]).execution_options(yield_per=BATCH_ROWS)
            with db.execute(query) as result:
                batches = _batches(chosen, result.mappings())
                if format is ExportFormat.JSONL:
                    count = _write_jsonl(batches, partial)
                else:
                    count = _write_parquet(chosen, batches, partial)
        partial.replace(path)
    except OSError as error:
        raise AuditStoreFailed(f"cannot write {path}: {error.strerror or error}") from error
    finally:
        partial.unlink(missing_ok=True)
    return count


def _batches(table: Table, rows: Any) -> Iterator[list[dict[str, Any]]]:
    kinds = dict(CODECS[table.name].columns)
    names = [column.name for column in table.columns]
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append({name: _value(kinds.get(name), row[name]) for name in names})
        if len(batch) == BATCH_ROWS:
            yield batch
            batch = []
    if batch:
        yield batch


def _value(kind: Kind | None, value: Any) -> Any:
    if value is not None and kind is Kind.DATETIME:
        return utc(value)
    return value


def _write_jsonl(batches: Iterator[list[dict[str, Any]]], path: Path) -> int:
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for batch in batches:
            for row in batch:
                out.write(json.dumps(row, ensure_ascii=False, default=_iso) + "\n")
            count += len(batch)
    return count


def _write_parquet(table: Table, batches: Iterator[list[dict[str, Any]]], path: Path) -> int:
    kinds = dict(CODECS[table.name].columns)
    schema = pa.schema(
        [pa.field(name, ARROW_TYPES[kinds[name]] if name != ROW_HASH else pa.string())
         for name in (column.name for column in table.columns)]
    )  # fmt: skip
    count = 0
    with pq.ParquetWriter(path, schema) as writer:
        for batch in batches:
            writer.write_batch(pa.RecordBatch.from_pylist(batch, schema=schema))
            count += len(batch)
    return count


def _iso(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds")
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
