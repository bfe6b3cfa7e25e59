"""Retention: a prune deletes what the policy no longer keeps, and the chains still verify."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from readiness.audit.chain import append
from readiness.audit.events import PRUNE, last_event
from readiness.audit.store import AuditStore
from readiness.audit.tables import deployment_log, predictions
from readiness.audit.verify import Breach, verify
from readiness.errors import InvalidInput, InvalidPolicy, PruneRefused
from reference.platform.audit.retention import (
    RetentionPolicy,
    prune,
    retention_policy,
    years_before,
)

NOW = datetime(2026, 6, 1, tzinfo=UTC)
STAMPS = [datetime(2015, 1, 1, tzinfo=UTC), datetime(2016, 1, 1, tzinfo=UTC),
          datetime(2024, 1, 1, tzinfo=UTC), datetime(2026, 5, 1, tzinfo=UTC)]  # fmt: skip
"""Rows 1-4 of each chain: 11 and 10 years old, then 2.4 years, then a month."""


def stamped(url: str, stamps: list[datetime]) -> None:
    prediction_rows = [
        {"request_id": f"r-{i}", "position": 0, "at": at, "tenant": "acme", "model": "m",
         "version": "1", "probability": 0.5, "label": 1}
        for i, at in enumerate(stamps)
    ]  # fmt: skip
    deployments = [
        {"at": at, "actor": "ops", "model": "m", "action": "promote", "detail": "d"}
        for at in stamps
    ]
    with AuditStore(url) as store, store.writing() as connection:
        append(connection, predictions, prediction_rows)
        append(connection, deployment_log, deployments)


@pytest.mark.parametrize(
    ("policy", "deleted"), [("regulated", 2), ("standard", 3)], ids=["7 years", "2 years"]
)
def test_a_prune_deletes_what_the_policy_no_longer_keeps_and_the_chains_still_verify(
    store_url: str, policy: str, deleted: int
) -> None:
    stamped(store_url, STAMPS)
    report = prune(store_url, retention_policy(policy), by="dpo@example.invalid", now=NOW)
    assert report.tables["predictions"].deleted == deleted
    assert report.tables["deployment_log"].base_seq == deleted
    assert verify(store_url).ok
    rows = {t.table: t.rows_checked for t in verify(store_url).tables}
    assert (rows["predictions"], rows["audit_events"]) == (4 - deleted, 1)


def test_a_prune_records_itself_as_a_chained_audit_event(sqlite_url: str) -> None:
    stamped(sqlite_url, STAMPS)
    report = prune(sqlite_url, retention_policy("regulated"), by="dpo", now=NOW)
    with AuditStore(sqlite_url) as store, store.reading() as connection:
        event = last_event(connection, PRUNE)
    assert event is not None
    assert (event.seq, event.actor, event.at) == (report.event_seq, "dpo", NOW)
    assert event.detail["policy"] == "regulated"
    assert event.detail["cutoff"] == "2019-06-01T00:00:00+00:00"
    assert event.detail["tables"]["predictions"]["deleted"] == 2


def test_pruning_again_deletes_nothing_more_and_still_verifies(sqlite_url: str) -> None:
    stamped(sqlite_url, STAMPS)
    policy = retention_policy("regulated")
    prune(sqlite_url, policy, by="dpo", now=NOW)
    again = prune(sqlite_url, policy, by="dpo", now=NOW)
    assert sum(t.deleted for t in again.tables.values()) == 0
    assert again.event_seq == 2
    assert verify(sqlite_url).ok


def test_an_old_row_behind_a_younger_one_waits_so_the_chain_has_no_hole(sqlite_url: str) -> None:
    stamped(sqlite_url, [STAMPS[0], STAMPS[3], STAMPS[1]])
    report = prune(sqlite_url, retention_policy("regulated"), by="dpo", now=NOW)
    assert report.tables["predictions"].deleted == 1
    assert verify(sqlite_url).ok


def test_rows_removed_after_a_prune_without_another_are_found(sqlite_url: str) -> None:
    stamped(sqlite_url, STAMPS)
    prune(sqlite_url, retention_policy("regulated"), by="dpo", now=NOW)
    engine = create_engine(sqlite_url)
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM predictions WHERE seq = 3"))
        connection.execute(
            text("UPDATE chain_heads SET base_seq = 3 WHERE table_name = 'predictions'")
        )
    engine.dispose()
    (broken,) = verify(sqlite_url).broken
    assert (broken.table, broken.breach) == ("predictions", Breach.BASE_MISMATCH)
    assert "the last prune (event 1) left it after row 2" in (broken.reason or "")


def test_a_store_whose_chains_are_broken_is_not_pruned(sqlite_url: str) -> None:
    stamped(sqlite_url, STAMPS)
    engine = create_engine(sqlite_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE predictions SET label = 0 WHERE seq = 1"))
    engine.dispose()
    with pytest.raises(PruneRefused, match="the predictions chain is broken at row 1"):
        prune(sqlite_url, retention_policy("regulated"), by="dpo", now=NOW)
    assert verify(sqlite_url).tables[0].first_broken_seq == 1  # the evidence is still there


def test_a_prune_needs_who_prunes(sqlite_url: str) -> None:
    stamped(sqlite_url, STAMPS)
    with pytest.raises(InvalidInput, match="a prune needs who prunes"):
        prune(sqlite_url, RetentionPolicy(name="standard", years=2), by=" ", now=NOW)


def test_an_unknown_policy_is_named_with_the_choices() -> None:
    with pytest.raises(InvalidPolicy, match=r"no retention policy 'forever' \(choose one of "
                       r"regulated, standard\)"):  # fmt: skip
        retention_policy("forever")


def test_the_policies_are_seven_and_two_years() -> None:
    assert (retention_policy("regulated").years, retention_policy("standard").years) == (7, 2)


def test_a_leap_day_cutoff_falls_on_the_28th() -> None:
    assert years_before(datetime(2028, 2, 29, tzinfo=UTC), 7) == datetime(2021, 2, 28, tzinfo=UTC)


def test_pruning_a_store_that_is_not_there_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="there is no file"):
        prune(f"sqlite:///{tmp_path / 'none.db'}", retention_policy("standard"), by="dpo")
