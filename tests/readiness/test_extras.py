"""A command that needs an extra that is not installed says which one, and exits 2; the
readers of a system's stores say the same as the reason a fact is missing."""

from importlib.util import find_spec
from pathlib import Path

import pytest
from typer.testing import CliRunner

from readiness import extras
from readiness.cli import app
from readiness.errors import InvalidInput, MissingExtra
from tests.reports.samples import PROTOTYPE, SAMPLE_RUNS

runner = CliRunner()


@pytest.fixture
def without(monkeypatch: pytest.MonkeyPatch) -> "Absent":
    return Absent(monkeypatch)


class Absent:
    """Makes modules look uninstalled to the extras' look-up, as a core install has them."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch

    def __call__(self, *modules: str) -> None:
        self.monkeypatch.setattr(
            extras, "find_spec", lambda name: None if name in modules else find_spec(name)
        )


@pytest.mark.parametrize(
    ("arguments", "absent", "message"),
    [
        (["train"], ("torch",), "readiness train needs the 'reference' extra (torch not "
         "installed): pip install 'readiness[reference]'"),
        (["up", "microservice"], ("ray", "feast"), "readiness up needs the 'reference' extra "
         "(ray, feast not installed)"),
        (["run", "edge"], ("onnxruntime",), "readiness run edge needs the 'reference' extra"),
        (["demo"], ("nats",), "pip install 'readiness[reference]'"),
        (["report", str(SAMPLE_RUNS / PROTOTYPE), "-f", "pdf"], ("fpdf",),
         "readiness report -f pdf needs the 'app' extra (fpdf not installed)"),
        (["dashboard", "--runs", str(SAMPLE_RUNS)], ("streamlit",),
         "readiness dashboard needs the 'app' extra"),
        (["monitor", "report"], ("evidently",), "needs the 'drift-report' extra"),
    ],
    ids=["train", "up", "run an architecture", "demo", "the PDF", "the app", "drift report"],
)  # fmt: skip
def test_a_command_without_its_extra_names_it_and_exits_2(
    without: Absent, arguments: list[str], absent: tuple[str, ...], message: str
) -> None:
    without(*absent)
    result = runner.invoke(app, arguments)
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())


def test_the_html_report_without_matplotlib_has_its_tables_and_says_where_charts_go(
    without: Absent, tmp_path: Path
) -> None:
    without("matplotlib")
    output = tmp_path / "r.html"
    result = runner.invoke(app, ["report", str(SAMPLE_RUNS / PROTOTYPE), "-o", str(output)])
    assert result.exit_code == 0, result.output
    text = output.read_text()
    assert "<svg" not in text
    assert text.count("chart not drawn: matplotlib is not installed") == text.count("<figure")
    assert "<table>" in text


@pytest.mark.parametrize(
    ("uri", "absent", "reason"),
    [
        ("http://127.0.0.1:5000", (), None),
        ("sqlite:///mlruns.db", (), None),
        ("http://127.0.0.1:5000", ("mlflow",), "needs the 'mlflow' extra"),
        ("sqlite:///mlruns.db", ("alembic",), "is a database store, opened in-process by the full"),
        ("postgresql+psycopg://db/mlflow", ("alembic",),
         "the registry postgresql+psycopg:... is a "),
        ("databricks", ("alembic",), None),
    ],
    ids=["a server", "a database with full mlflow", "no client", "sqlite with the skinny client",
         "postgres with the skinny client", "databricks with the skinny client"],
)  # fmt: skip
def test_a_registry_reader_says_what_it_lacks_for_the_uri(
    without: Absent, uri: str, absent: tuple[str, ...], reason: str | None
) -> None:
    without(*absent)
    found = extras.registry_reader_missing(uri)
    assert (found is None) if reason is None else (found is not None and reason in found)


def test_a_missing_extra_is_bad_input_and_an_installed_one_passes(without: Absent) -> None:
    assert issubclass(MissingExtra, InvalidInput)
    extras.require("feast", "x")  # installed here
    without("feast")
    with pytest.raises(MissingExtra, match=r"x needs the 'feast' extra \(feast not installed\)"):
        extras.require("feast", "x")


def test_the_version_is_printed_without_a_command() -> None:
    from readiness import __version__

    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"readiness {__version__}\n"
