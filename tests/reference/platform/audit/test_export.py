"""Export for auditors: every row in chain order, hashes included, and the chain recomputes."""

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from readiness.audit.chain import CODECS
from readiness.audit.encoding import GENESIS, utc
from readiness.audit.store import AuditStore
from readiness.audit.tables import predictions
from readiness.errors import InvalidInput
from reference.platform.audit.export import ExportFormat, export
from reference.platform.audit.pii import PiiRedactor, load_pii_policy
from reference.platform.audit.prediction_log import Answer, PredictionLog
from reference.platform.model.schema import load_schema
from tests.examples import VALID_ROW


def logged(url: str) -> None:
    redactor = PiiRedactor(load_pii_policy(), load_schema(), b"k" * 32)
    log = PredictionLog(url, redactor)
    for index in range(3):
        row = {**VALID_ROW, "contact_email": f"p{index}@example.invalid", "sex": "Male"}
        answers = [Answer(0, "2", 0.25 + index / 8, 0), Answer(1, "2", 0.75, 1)]
        log.record(f"r-{index}", "acme", "m", answers, [row, VALID_ROW], latency_ms=1.25)
    log.close()


def stored_rows(url: str) -> list[dict[str, Any]]:
    with AuditStore(url) as store, store.reading() as connection:
        query = predictions.select().order_by(predictions.c.seq)
        return [dict(row) for row in connection.execute(query).mappings()]


def read_back(path: Path, format: ExportFormat) -> list[dict[str, Any]]:
    if format is ExportFormat.PARQUET:
        rows: list[dict[str, Any]] = pq.read_table(path).to_pylist()
        return rows
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    return [{**row, "at": datetime.fromisoformat(row["at"])} for row in rows]


@pytest.mark.parametrize("format", list(ExportFormat), ids=[f.value for f in ExportFormat])
def test_an_export_holds_every_row_as_stored_in_chain_order(
    store_url: str, tmp_path: Path, format: ExportFormat
) -> None:
    logged(store_url)
    path = tmp_path / f"predictions.{format.value}"
    assert export(store_url, "predictions", format, path) == 6
    exported = read_back(path, format)
    stored = stored_rows(store_url)
    assert [r["seq"] for r in exported] == [1, 2, 3, 4, 5, 6]
    assert [{**r, "at": utc(r["at"])} for r in exported] == [
        {**r, "at": utc(r["at"])} for r in stored
    ]


@pytest.mark.parametrize("format", list(ExportFormat), ids=[f.value for f in ExportFormat])
def test_an_auditor_can_recompute_the_chain_from_the_export_alone(
    sqlite_url: str, tmp_path: Path, format: ExportFormat
) -> None:
    logged(sqlite_url)
    path = tmp_path / f"predictions.{format.value}"
    export(sqlite_url, "predictions", format, path)
    previous = GENESIS
    for row in read_back(path, format):
        assert CODECS["predictions"].digest(previous, row) == row["row_hash"]
        previous = row["row_hash"]


def test_an_unknown_table_is_named_with_the_choices(sqlite_url: str, tmp_path: Path) -> None:
    logged(sqlite_url)
    with pytest.raises(InvalidInput, match="no audited table 'chain_heads' \\(choose one of "):
        export(sqlite_url, "chain_heads", ExportFormat.JSONL, tmp_path / "x.jsonl")
    assert not (tmp_path / "x.jsonl").exists()
