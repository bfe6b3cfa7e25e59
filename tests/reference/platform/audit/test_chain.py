"""The hash chain: every edit, deletion or insertion is found, with its table and row."""

import itertools
import multiprocessing
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text

from readiness.audit.chain import CODECS, append
from readiness.audit.store import AuditStore
from readiness.audit.tables import predictions
from readiness.audit.verify import Breach, verify
from readiness.errors import AuditStoreFailed, InvalidInput
from reference.platform.audit.prediction_log import Answer, PredictionLog

INDIA = timezone(timedelta(hours=5, minutes=30))
REQUESTS = ["0b7e2b8e-7d0c-4a39-9a52-6f0f1c7a1a0" + str(i) for i in range(3)]


def filled(url: str) -> None:
    """Six predictions (rows 1-6), two feedback labels, two deployment log entries."""
    log = PredictionLog(url)
    for index, request in enumerate(REQUESTS):
        answers = [Answer(0, "1", 0.1 + index / 10, 0), Answer(1, "1", 0.9, 1)]
        log.record(request, "acme", "m", answers, latency_ms=2.5)
    log.record_feedback([(REQUESTS[0], 0, 1), (REQUESTS[1], 1, 0)])
    log.log_deployment("ops", "m", "promote", None, "1", "first champion")
    log.log_deployment("ops", "m", "rollback", "1", None, "bad")
    log.close()


def tamper(url: str, *statements: str) -> None:
    """Change the store behind the chain's back, as someone with write access could."""
    engine = create_engine(url)
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))
    engine.dispose()


def row_hash(url: str, seq: int) -> str:
    engine = create_engine(url)
    with engine.connect() as connection:
        query = select(predictions.c.row_hash).where(predictions.c.seq == seq)
        found = str(connection.execute(query).scalar_one())
    engine.dispose()
    return found


@dataclass(frozen=True)
class Tampering:
    statements: tuple[str, ...]
    table: str
    seq: int
    breach: Breach


TAMPERINGS = {
    "editing a middle row": Tampering(
        ("UPDATE predictions SET probability = 0.95 WHERE seq = 3",),
        "predictions", 3, Breach.EDITED,
    ),
    "deleting a middle row": Tampering(
        ("DELETE FROM predictions WHERE seq = 3",), "predictions", 3, Breach.MISSING
    ),
    "deleting the last row": Tampering(
        ("DELETE FROM predictions WHERE seq = 6",), "predictions", 6, Breach.TAIL_DELETED
    ),
    "editing the chain head": Tampering(
        (f"UPDATE chain_heads SET last_hash = '{'f' * 64}' WHERE table_name = 'predictions'",),
        "predictions", 6, Breach.HEAD_MISMATCH,
    ),
    "slipping in a row with a made-up hash": Tampering(
        ("INSERT INTO predictions (seq, request_id, position, at, tenant, model, version, "
         f"probability, label, row_hash) VALUES (7, 'forged', 0, '2026-01-01 00:00:00', "
         f"'acme', 'm', '1', 0.5, 1, '{'0' * 64}')",),
        "predictions", 7, Breach.EDITED,
    ),
    "rewording a deployment log entry": Tampering(
        ("UPDATE deployment_log SET actor = 'mallory' WHERE seq = 1",),
        "deployment_log", 1, Breach.EDITED,
    ),
    "deleting a feedback label": Tampering(
        ("DELETE FROM feedback WHERE seq = 1",), "feedback", 1, Breach.MISSING
    ),
    "removing the first rows without a prune": Tampering(
        ("DELETE FROM predictions WHERE seq <= 2",
         "UPDATE chain_heads SET base_seq = 2 WHERE table_name = 'predictions'"),
        "predictions", 2, Breach.BASE_MISMATCH,
    ),
}  # fmt: skip


def test_an_untouched_store_verifies(store_url: str) -> None:
    filled(store_url)
    report = verify(store_url)
    assert report.ok
    rows = {t.table: t.rows_checked for t in report.tables}
    assert rows == {"predictions": 6, "shadow_predictions": 0, "feedback": 2,
                    "deployment_log": 2, "lineage": 0, "audit_events": 0}  # fmt: skip


@pytest.mark.parametrize("case", TAMPERINGS.values(), ids=TAMPERINGS.keys())
def test_tampering_is_found_with_its_table_and_row(store_url: str, case: Tampering) -> None:
    filled(store_url)
    tamper(store_url, *case.statements)
    report = verify(store_url)
    assert [(t.table, t.first_broken_seq, t.breach) for t in report.broken] == [
        (case.table, case.seq, case.breach)
    ]


def test_an_edited_row_with_a_recomputed_hash_breaks_the_next_link(store_url: str) -> None:
    filled(store_url)
    engine = create_engine(store_url)
    with engine.connect() as connection:
        third = select(predictions).where(predictions.c.seq == 3)
        row = dict(connection.execute(third).mappings().one())
    engine.dispose()
    rehashed = CODECS["predictions"].digest(row_hash(store_url, 2), {**row, "probability": 0.95})
    tamper(
        store_url,
        f"UPDATE predictions SET probability = 0.95, row_hash = '{rehashed}' WHERE seq = 3",
    )
    (broken,) = verify(store_url).broken
    assert (broken.table, broken.first_broken_seq) == ("predictions", 4)
    assert broken.breach is Breach.EDITED


def test_a_row_slipped_in_with_a_correct_hash_is_found_past_the_head(store_url: str) -> None:
    filled(store_url)
    forged = {"seq": 7, "request_id": "forged", "position": 0, "tenant": "acme", "model": "m",
              "version": "1", "probability": 0.5, "label": 1, "features": None,
              "latency_ms": None, "at": datetime(2026, 1, 1, tzinfo=UTC)}  # fmt: skip
    forged["row_hash"] = CODECS["predictions"].digest(row_hash(store_url, 6), forged)
    engine = create_engine(store_url)
    with engine.begin() as connection:
        connection.execute(predictions.insert(), [forged])
    engine.dispose()
    (broken,) = verify(store_url).broken
    assert (broken.table, broken.first_broken_seq) == ("predictions", 7)
    assert broken.breach is Breach.HEAD_MISMATCH


def test_values_hash_the_same_after_the_round_trip_through_the_database(store_url: str) -> None:
    awkward = {
        "request_id": "r", "position": 0, "tenant": "ünïcode ✓", "model": "m", "version": "1",
        "at": datetime(2026, 3, 1, 23, 59, 59, 999_999, tzinfo=INDIA),
        "probability": 0.1 + 0.2, "label": 1, "latency_ms": 1e-300,
        "features": '{"note":"quotes \\" and \\\\ backslashes"}',
    }  # fmt: skip
    with AuditStore(store_url) as store, store.writing() as connection:
        append(connection, predictions, [awkward])
    assert verify(store_url).ok
    log = PredictionLog(store_url)
    (record,) = log.predictions_since(0, 1)
    log.close()
    assert record.at == awkward["at"]
    assert record.at.tzinfo == UTC
    assert record.probability == 0.1 + 0.2


def test_a_non_finite_number_is_refused_rather_than_stored_as_null(store_url: str) -> None:
    log = PredictionLog(store_url)
    with pytest.raises(AuditStoreFailed, match=r"predictions.probability: nan is not a finite"):
        log.record("r", "acme", "m", [Answer(0, "1", float("nan"), 0)])
    assert log.count("predictions") == 0
    log.close()


def test_verifying_a_store_that_is_not_there_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="there is no file"):
        verify(f"sqlite:///{tmp_path / 'nowhere.db'}")


def _write(url: str, writer: int, transactions: int, start: Any) -> None:
    log = PredictionLog(url)
    start.wait(60)
    for index in range(transactions):
        answers = [Answer(p, "1", 0.5, 1) for p in range(3)]
        log.record(f"{writer}-{index}", f"tenant-{writer}", "m", answers)
        time.sleep(0.002)  # requests arrive with gaps; SQLite's lock is not fair without them
    log.close()


def test_two_processes_writing_at_once_keep_one_valid_chain(store_url: str) -> None:
    PredictionLog(store_url).close()  # the schema exists before the race
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(2)  # both writers open, then both go
    writers = [context.Process(target=_write, args=(store_url, w, 60, start)) for w in (0, 1)]
    for process in writers:
        process.start()
    for process in writers:
        process.join(120)
        assert process.exitcode == 0
    report = verify(store_url)
    assert report.ok
    assert report.tables[0].rows_checked == 360
    log = PredictionLog(store_url)
    tenants = [r.tenant for r in log.predictions_since(0, 360)]
    log.close()
    switches = sum(a != b for a, b in itertools.pairwise(tenants))
    assert switches > 1, "the writers never overlapped, so the test proved nothing"
