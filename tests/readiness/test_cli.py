from pathlib import Path

from typer.testing import CliRunner

from readiness.cli import app
from readiness.home import HOME_VARIABLE, MLFLOW_VARIABLE
from tests.servers import free_port

runner = CliRunner()


def test_train_refuses_a_missing_policy_file_with_exit_code_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["train", "--quick", "--policy", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2
    assert "cannot read fairness policy" in result.output


def test_train_refuses_a_home_that_cannot_be_created(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = runner.invoke(app, ["train", "--quick"], env={HOME_VARIABLE: str(blocker / "home")})
    assert result.exit_code == 2
    assert f"READINESS_HOME {blocker / 'home'} cannot be created" in result.output


def test_train_stops_before_any_work_when_the_registry_is_unreachable(
    isolated_home: Path,
) -> None:
    uri = f"http://127.0.0.1:{free_port()}"
    result = runner.invoke(app, ["train", "--quick"], env={MLFLOW_VARIABLE: uri})
    assert result.exit_code == 1
    assert f"MLflow registry {uri} cannot be reached" in result.output
    assert not (isolated_home / "feature_repo" / "applicant_features.parquet").exists()


COMMANDS = ("init", "assess", "gate", "report", "dashboard", "train", "approve", "promote",
            "up", "down", "run", "demo", "retrain", "audit", "monitor")  # fmt: skip


def test_help_lists_every_command_with_its_summary() -> None:
    result = runner.invoke(app, ["--help"], terminal_width=200)
    assert result.exit_code == 0
    listed = [line.strip("│ ").split()[0] for line in result.output.splitlines()
              if line.startswith("│ ") and len(line.strip("│ ").split()) > 1]  # fmt: skip
    assert sorted(set(listed) & set(COMMANDS)) == sorted(COMMANDS)


def test_approve_without_a_reason_is_bad_input(tmp_path: Path) -> None:
    result = runner.invoke(app, ["approve", "adult-income", "1", "--by", "ana"])
    assert result.exit_code == 2
    assert "approval needs 'reason'" in result.output


def test_approving_a_version_the_registry_lacks_is_bad_input() -> None:
    result = runner.invoke(app, ["approve", "no-such-model", "7", "--by", "ana", "--reason", "ok"])
    assert result.exit_code == 2
    assert "the registry has no no-such-model version 7" in result.output
