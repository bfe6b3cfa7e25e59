"""`readiness audit`: verify (0 intact, 1 tampered), prune and export, bad arguments exit 2."""

import json
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from readiness.cli import app
from readiness.home import readiness_home
from reference.platform.audit.prediction_log import Answer, PredictionLog

runner = CliRunner()


@pytest.fixture
def store() -> str:
    """The home's audit store with two predictions and a deployment."""
    url = readiness_home().audit_url
    log = PredictionLog(url)
    log.record("r-1", "acme", "m", [Answer(0, "1", 0.7, 1), Answer(1, "1", 0.2, 0)])
    log.log_deployment("ops", "m", "promote", None, "1", "first")
    log.close()
    return url


def test_verify_exits_0_when_every_chain_is_intact(store: str) -> None:
    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "predictions: 2 rows intact; head 2 " in result.output
    assert "every chain verifies" in result.output


def test_verify_exits_1_naming_the_table_and_row_that_were_edited(store: str) -> None:
    engine = create_engine(store)
    with engine.begin() as connection:
        connection.execute(text("UPDATE predictions SET label = 1 WHERE seq = 2"))
    engine.dispose()
    result = runner.invoke(app, ["audit", "verify", "--url", store])
    assert result.exit_code == 1
    assert "predictions: edited row at row 2: row 2 does not match its hash" in result.output
    assert "tampering found" in result.output


def test_prune_reports_each_chain_and_the_event_that_records_it(store: str) -> None:
    result = runner.invoke(
        app, ["audit", "prune", "--policy", "standard", "--now", "2040-01-01", "--by", "dpo"]
    )
    assert result.exit_code == 0, result.output
    assert "predictions: 2 rows deleted; chain starts after row 2" in result.output
    assert "by dpo; recorded as audit event 1" in result.output
    assert runner.invoke(app, ["audit", "verify"]).exit_code == 0


def test_export_writes_the_table_as_json_lines(store: str, tmp_path: Path) -> None:
    out = tmp_path / "deployments.jsonl"
    result = runner.invoke(app, ["audit", "export", "deployment_log", "-o", str(out)])
    assert result.exit_code == 0, result.output
    (row,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert (row["seq"], row["action"], len(row["row_hash"])) == (1, "promote", 64)


BAD_ARGUMENTS = {
    "a store that is not there": (["verify", "--url", "sqlite:////nowhere/a.db"],
                                  "audit store sqlite:////nowhere/a.db: there is no file"),
    "a URL that is not one": (["verify", "--url", "not a url"],
                              "audit store URL 'not a url' is not a database URL"),
    "an unknown retention policy": (["prune", "--policy", "forever"],
                                    "no retention policy 'forever' (choose one of regulated"),
    "a time that is not ISO 8601": (["prune", "--policy", "standard", "--now", "soon"],
                                    "--now must be an ISO 8601 time, not 'soon'"),
    "an unknown export format": (["export", "predictions", "--format", "xml", "-o", "x"],
                                 "--format must be jsonl or parquet, not 'xml'"),
    "a table that is not audited": (["export", "alerts", "-o", "x"],
                                    "no audited table 'alerts'"),
}  # fmt: skip


@pytest.mark.parametrize(("arguments", "message"), BAD_ARGUMENTS.values(), ids=BAD_ARGUMENTS.keys())
def test_bad_arguments_exit_2_naming_what_is_wrong(
    store: str, arguments: list[str], message: str
) -> None:
    result = runner.invoke(app, ["audit", *arguments])
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
