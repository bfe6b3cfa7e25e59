"""Per-row cost of logging a prediction into the hash-chained audit store, against a plain
insert of the same rows, on a SQLite file (WAL, synchronous=NORMAL, as the gateway runs).

Run: `python benchmarks/audit_chain.py [--rounds 5] [--rows 2000]`. Three writers, one
transaction per batch, batches of 1 (an idle gateway: one request per commit) and of 64
(group commit under load): `plain` inserts rows that already hold their features as JSON
into an unchained table; `chained` appends the same rows to the chain (normalise, encode,
sha256, head read and update); `chained + PII` is the gateway's path, `write_predictions`
with the PII policy applied to raw feature rows. Rounds are interleaved, medians kept.
"""

import argparse
import json
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Column, DateTime, Float, Integer, MetaData, String, Table, Text, insert

from readiness.audit.chain import append
from readiness.audit.store import AuditStore
from readiness.audit.tables import predictions
from reference.platform.audit.pii import PiiRedactor, load_pii_policy
from reference.platform.audit.prediction_log import Answer, PredictionLog, prediction_rows
from reference.platform.model.schema import load_schema

ROW: dict[str, Any] = {
    "age": 40, "workclass": "Private", "fnlwgt": 100000.0, "education": "HS-grad",
    "education_num": 9, "marital_status": "Divorced", "occupation": None,
    "relationship": "Unmarried", "capital_gain": 0, "capital_loss": 0, "hours_per_week": 40,
    "native_country": "Peru", "sex": "Female", "race": "White",
    "applicant_id": "A0000001", "contact_email": "jane@example.invalid",
}  # fmt: skip

plain_metadata = MetaData()
plain = Table(
    "predictions_plain", plain_metadata,
    Column("request_id", String(36), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
    Column("tenant", String(64), nullable=False),
    Column("model", String(128), nullable=False),
    Column("version", String(32), nullable=False),
    Column("probability", Float, nullable=False),
    Column("label", Integer, nullable=False),
    Column("features", Text),
    Column("latency_ms", Float),
)  # fmt: skip


def batches(total: int, size: int, features_as_json: bool) -> list[list[dict[str, Any]]]:
    out = []
    for _ in range(total // size):
        answers = [Answer(i, "1", 0.25 + i / 1000, 0) for i in range(size)]
        rows = prediction_rows(str(uuid.uuid4()), "acme", "m", answers, [ROW] * size, 1.5)
        if features_as_json:
            rows = [{**r, "features": json.dumps(r["features"], sort_keys=True)} for r in rows]
        out.append(rows)
    return out


def timed(write: Callable[[list[dict[str, Any]]], None], work: list[list[dict[str, Any]]]) -> float:
    """Microseconds per row."""
    started = time.perf_counter()
    for rows in work:
        write(rows)
    return (time.perf_counter() - started) / sum(len(rows) for rows in work) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--rows", type=int, default=2000)
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="audit-bench-"))
    store = AuditStore(f"sqlite:///{folder / 'chained.db'}")
    plain_store = AuditStore(f"sqlite:///{folder / 'plain.db'}")
    plain_metadata.create_all(plain_store.engine)
    redactor = PiiRedactor(load_pii_policy(), load_schema(), b"k" * 32)
    log = PredictionLog(f"sqlite:///{folder / 'gateway.db'}", redactor)

    def write_plain(rows: list[dict[str, Any]]) -> None:
        with plain_store.writing() as connection:
            connection.execute(insert(plain), rows)

    def write_chained(rows: list[dict[str, Any]]) -> None:
        with store.writing() as connection:
            append(connection, predictions, rows)

    writers = {"plain": (write_plain, True), "chained": (write_chained, True),
               "chained + PII": (log.write_predictions, False)}  # fmt: skip
    results: dict[tuple[str, int], list[float]] = {}
    for size in (1, 64):
        total = options.rows // 4 if size == 1 else options.rows
        for _ in range(options.rounds):
            for name, (write, as_json) in writers.items():
                work = batches(total, size, as_json)
                results.setdefault((name, size), []).append(timed(write, work))
    print(f"{datetime.now(UTC):%Y-%m-%d}, SQLite file, medians of {options.rounds} rounds")
    print(f"{'writer':<16}{'µs/row batch 1':>16}{'µs/row batch 64':>17}")
    for name in writers:
        one, many = (statistics.median(results[(name, s)]) for s in (1, 64))
        print(f"{name:<16}{one:>16.1f}{many:>17.1f}")
    for store_ in (store, plain_store):
        store_.close()
    log.close()


if __name__ == "__main__":
    main()
