"""What `pip install readiness` gives a user: the core commands with none of the heavy
libraries, every file the code reads shipped inside the packages, and a wheel that works
from a folder outside the checkout.

The first test blocks torch, ray, feast, shap, streamlit and evidently in a fresh
interpreter (as absent as in a core install) and runs every core command there; the second
builds the wheel, installs it without extras into a new venv from the package registry and
runs the CLI as a CI job would, against a team's FastAPI service."""

import json
import os
import subprocess
import sys
import venv
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from harness.scenario import SCENARIO_FOLDER
from readiness import __version__
from tests.harness.double import double_descriptor, running_double
from tests.harness.system.third_party import API_TOKEN, fastapi_served
from tests.reports.samples import PRODUCTION, SAMPLE_RUNS
from tests.wheel import build_wheel

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("torch", "ray", "feast", "shap", "streamlit", "evidently")
CORE_COMMANDS = """
import json, sys
for name in {heavy!r}:
    sys.modules[name] = None  # import fails, importlib.util.find_spec says absent
from typer.testing import CliRunner
from readiness.cli import app
runner, done = CliRunner(), []
for arguments in json.loads(sys.argv[1]):
    result = runner.invoke(app, arguments)
    done.append([arguments[0], result.exit_code, result.output[-600:]])
loaded = sorted(n for n in {heavy!r} if sys.modules.get(n) is not None)
print(json.dumps({{"done": done, "loaded": loaded}}))
"""


@pytest.fixture(scope="module")
def double(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("core")
    with running_double() as (base, _):
        yield double_descriptor(base, folder)


def test_every_core_command_runs_with_the_heavy_libraries_absent(
    double: Path, tmp_path: Path
) -> None:
    bundle, out = SAMPLE_RUNS / PRODUCTION, tmp_path / "out"
    commands = [
        ["--version"],
        ["run", str(double), "--no-scenarios", "--out", str(out)],
        *[["assess", str(bundle), "-f", f, "-o", str(tmp_path / f"a.{f}")]
          for f in ("json", "md", "html", "sarif", "junit")],
        ["gate", str(bundle / "assessment.json"), "--policy", "whitepaper", "-f", "json"],
        ["report", str(bundle), "-f", "html", "-o", str(tmp_path / "r.html")],
        ["init", "--help"],
        ["train"],
    ]  # fmt: skip
    script = CORE_COMMANDS.format(heavy=HEAVY)
    finished = subprocess.run(
        [sys.executable, "-c", script, json.dumps(commands)], cwd=ROOT, capture_output=True,
        text=True, timeout=300, check=True,
    )  # fmt: skip
    found = json.loads(finished.stdout.splitlines()[-1])
    assert found["loaded"] == []
    expected = {"gate": 1, "train": 2}  # the sample fails the whitepaper; train needs torch
    codes = [(command, code) for command, code, _ in found["done"]]
    assert codes == [(arguments[0], expected.get(arguments[0], 0)) for arguments in commands]
    said = " ".join(found["done"][-1][2].split())
    assert "pip install 'readiness[reference]'" in said
    assert (out / "assessment.json").is_file()


SHIPPED = [
    *[f"harness/scenarios/{p.name}" for p in SCENARIO_FOLDER.glob("*.yaml")],
    "assessment/rubric.yaml", "assessment/policies/whitepaper.yaml",
    "harness/deployments/monitor.yaml",
    "reference/platform/policies/pii.yaml", "reference/platform/policies/retention.yaml",
    "reference/platform/policies/retraining.yaml",
    "reference/platform/policies/counterfactual.yaml",
    "reference/platform/policies/income-eligibility.yaml",
    "reference/platform/policies/whitepaper-fairness.yaml",
    "reference/platform/alerting/rules.yaml", "reference/platform/alerting/prometheus-rules.yml",
    "reference/platform/alerting/runbooks.md", "reference/platform/compliance/controls.yaml",
    "reference/platform/feature_schema.yaml", "reference/platform/datasets/adult/adult.data.gz",
    "reference/microservice/grafana/readiness-gateway.json", "reports/app/pages/overview.py",
]  # fmt: skip


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_wheel(tmp_path_factory.mktemp("wheel"))


def test_the_wheel_ships_every_file_the_code_reads(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert [name for name in SHIPPED if name not in names] == []
    assert not any(name.startswith(("tests/", "benchmarks/")) for name in names)


@pytest.mark.slow
def test_the_wheel_without_extras_runs_the_ci_commands_from_outside_the_checkout(
    wheel: Path, tmp_path: Path
) -> None:
    environment = tmp_path / "venv"
    venv.create(environment, with_pip=True)
    python, readiness = environment / "bin" / "python", environment / "bin" / "readiness"
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    installing = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "-c", str(ROOT / "requirements.lock"),
         str(wheel)],
        capture_output=True, text=True, timeout=600, check=False, env=clean,
    )  # fmt: skip
    assert installing.returncode == 0, installing.stderr[-2000:]
    installed = subprocess.run([str(python), "-m", "pip", "list", "--format", "json"], env=clean,
                               capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert {p["name"].lower() for p in json.loads(installed)}.isdisjoint(HEAVY)
    work = tmp_path / "job"
    work.mkdir()
    clean |= {"READINESS_HOME": str(tmp_path / "home"), "CREDIT_TOKEN": API_TOKEN}

    def cli(*arguments: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(readiness), *arguments], cwd=work, env=clean, check=False,
                              capture_output=True, text=True, timeout=300)  # fmt: skip

    assert cli("--version").stdout == f"readiness {__version__}\n"
    service = tmp_path / "service"
    service.mkdir()
    with fastapi_served(service) as descriptor:
        predict = yaml.safe_load(descriptor.read_text())["endpoints"]["predict"]
        init = cli("init", predict, "--data", str(descriptor.parent / "rows.parquet"),
                   "--label", "defaulted", "--api-key-env", "CREDIT_TOKEN",
                   "--auth-header", "Authorization", "--auth-scheme", "Bearer")  # fmt: skip
        assert init.returncode == 0, init.stderr
        assert (work / "target.yaml").is_file()
        run = cli("run", str(descriptor), "--no-scenarios", "--out", str(work / "bundle"))
        assert run.returncode == 0, run.stderr[-2000:]
    sarif = cli("assess", "bundle", "-f", "sarif", "-o", "readiness.sarif")
    assert sarif.returncode == 0, sarif.stderr
    assert json.loads((work / "readiness.sarif").read_text())["runs"][0]["results"]
    gate = cli("gate", "bundle/assessment.json", "--policy", "whitepaper")
    assert gate.returncode == 1, gate.stderr
    assert gate.stdout.startswith("gate whitepaper: failed (")
    assert sorted(p.name for p in work.iterdir()) == ["bundle", "readiness.sarif", "target.yaml"]
