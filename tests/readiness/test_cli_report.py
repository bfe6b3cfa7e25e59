"""`readiness report` writes the report for people; `readiness dashboard` refuses what it
cannot serve before starting anything (the running app is tested in tests/reports/app)."""

import socket
from pathlib import Path

from typer.testing import CliRunner

from readiness.cli import app
from tests.reports.samples import PROTOTYPE, SAMPLE_RUNS

runner = CliRunner()


def test_report_writes_a_self_contained_html_file(tmp_path: Path) -> None:
    output = tmp_path / "report.html"
    result = runner.invoke(app, ["report", str(SAMPLE_RUNS / PROTOTYPE), "-o", str(output)])
    assert result.exit_code == 0, result.output
    text = output.read_text()
    assert '<h1 id="top">Readiness of readiness-microservice-prototype: 10/50</h1>' in text
    assert "<script" not in text


def test_report_with_a_policy_says_whether_the_run_passes_it(tmp_path: Path) -> None:
    from assessment.policy import WHITEPAPER_POLICY

    output = tmp_path / "report.html"
    result = runner.invoke(app, ["report", str(SAMPLE_RUNS / PROTOTYPE), "-o", str(output),
                                 "--policy", str(WHITEPAPER_POLICY)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Policy whitepaper: FAILS." in output.read_text()


def test_report_refuses_an_unknown_format() -> None:
    result = runner.invoke(app, ["report", str(SAMPLE_RUNS / PROTOTYPE), "-f", "docx"])
    assert result.exit_code == 2
    assert "--format must be one of html, pdf, not 'docx'" in result.output


def test_report_of_a_folder_that_is_not_a_bundle_says_so(tmp_path: Path) -> None:
    result = runner.invoke(app, ["report", str(tmp_path)])
    assert result.exit_code == 2
    assert f"{tmp_path} is not an evidence bundle: it has no manifest.json" in result.output


def test_report_with_a_policy_that_is_not_one_names_the_problem(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("schema_version: 1\nname: strict\nmin_total: lots\n")
    result = runner.invoke(app, ["report", str(SAMPLE_RUNS / PROTOTYPE), "--policy", str(policy)])
    assert result.exit_code == 2
    assert "min_total" in result.output


def test_dashboard_refuses_a_runs_folder_that_does_not_exist(tmp_path: Path) -> None:
    result = runner.invoke(app, ["dashboard", "--runs", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    assert f"--runs: {tmp_path / 'nowhere'} is not a folder" in result.output


def test_dashboard_refuses_a_port_in_use() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = runner.invoke(app, ["dashboard", "--runs", str(SAMPLE_RUNS), "--port", str(port)])
    assert result.exit_code == 2
    assert f"--port: {port} is in use on 127.0.0.1; choose another" in result.output
