from pathlib import Path

from typer.testing import CliRunner

from readiness.cli import app
from readiness.home import HOME_VARIABLE

runner = CliRunner()


def test_train_refuses_a_missing_policy_file_with_exit_code_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["train", "--quick", "--policy", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2
    assert "cannot read fairness policy" in result.output


def test_train_stops_before_training_when_the_registry_is_unreachable(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = runner.invoke(app, ["train", "--quick"], env={HOME_VARIABLE: str(blocker / "home")})
    assert result.exit_code in (1, 2)
    assert "error:" in result.output


def test_help_lists_train() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "train" in result.output
