"""`readiness run` refuses bad input with exit code 2 before anything runs, and a target
that does not answer with exit code 1 and a bundle that says so."""

import json
from pathlib import Path

from typer.testing import CliRunner

from readiness.cli import app
from tests.harness.double import double_descriptor, running_double

runner = CliRunner()


def test_a_target_that_is_neither_an_architecture_nor_a_file_exits_2() -> None:
    result = runner.invoke(app, ["run", "mainframe"])
    assert result.exit_code == 2
    assert "TARGET: 'mainframe' is neither an architecture" in result.output


def test_an_unknown_profile_exits_2() -> None:
    result = runner.invoke(app, ["run", "microservice", "--profile", "staging"])
    assert result.exit_code == 2
    assert "--profile must be production or prototype, not 'staging'" in result.output


def test_an_invalid_scenario_exits_2_before_anything_starts_with_a_bundle_saying_why(
    tmp_path: Path,
) -> None:
    scenario = tmp_path / "gremlins.yaml"
    scenario.write_text("title: Gremlins\ndescription: nothing valid\nmethod: []\n")
    bundle = tmp_path / "bundle"
    result = runner.invoke(app, ["run", "microservice", "-s", "steady-state", "-s", str(scenario),
                                 "--out", str(bundle)])  # fmt: skip
    assert result.exit_code == 2
    assert f"scenario {scenario}: " in result.output
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert manifest["status"] == "invalid-scenarios"
    assert f"scenario {scenario}: " in manifest["errors"][0]
    assert [(s["name"], s["status"]) for s in manifest["scenarios"]] == [
        ("steady-state", "not_run"), (str(scenario), "not_run"),
    ]  # fmt: skip


def test_a_target_that_does_not_answer_exits_1_and_leaves_a_bundle(tmp_path: Path) -> None:
    with running_double() as (base, _):
        descriptor = double_descriptor(base, tmp_path)
    bundle = tmp_path / "bundle"
    result = runner.invoke(
        app, ["run", str(descriptor), "-s", "steady-state", "--out", str(bundle)]
    )
    assert result.exit_code == 1
    assert "did not answer" in result.output
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert manifest["status"] == "target-unavailable"


def test_an_out_folder_that_already_holds_a_bundle_exits_2_and_keeps_it(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "manifest.json").write_text('{"status": "complete"}')
    result = runner.invoke(app, ["run", "microservice", "--out", str(bundle)])
    assert result.exit_code == 2
    assert f"--out {bundle} already holds a run's bundle" in result.output
    assert (bundle / "manifest.json").read_text() == '{"status": "complete"}'
    assert not (bundle / "journal.jsonl").exists()
