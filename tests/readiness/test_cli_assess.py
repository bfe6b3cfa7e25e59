"""`readiness run` assesses what it ran; `readiness assess` renders a bundle in every
format; `readiness gate` exits 0, 1 or 2. Against the test double, a user's system."""

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from assessment.collectors import declarations, live, logs, stores
from readiness.cli import app
from tests.harness.double import double_descriptor, running_double

runner = CliRunner()
SHORT_STEADY = Path(__file__).parents[1] / "harness" / "scenarios" / "short-steady.yaml"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("assess")
    with running_double() as (base, _):
        descriptor = double_descriptor(base, folder)
        result = runner.invoke(
            app, ["run", str(descriptor), "-s", str(SHORT_STEADY), "--out", str(folder / "bundle")]
        )
    assert result.exit_code == 0, result.output
    assert "readiness" in result.output
    return folder / "bundle"


def test_a_run_collects_live_evidence_seals_the_bundle_and_assesses_it(bundle: Path) -> None:
    assessment = json.loads((bundle / "assessment.json").read_text())
    assert assessment["max_total"] == 50
    assert [d["id"] for d in assessment["dimensions"]][:2] == ["architecture", "mlops"]
    facts = {f["name"]: f for f in json.loads((bundle / "facts.json").read_text())["facts"]}
    assert facts["health"]["status"] == "collected"
    assert facts["registry"]["reason"] == "no registry declared"
    assert "facts.json" in json.loads((bundle / "digests.json").read_text())["files"]
    collected = [*declarations.PROVIDES, *live.PROVIDES, *stores.PROVIDES, *logs.PROVIDES]
    assert sorted(facts) == sorted(collected)  # every collector's every fact, said or missing


@pytest.mark.parametrize("format", ["json", "md", "html", "sarif", "junit"])
def test_assess_renders_the_bundle_the_same_way_twice(bundle: Path, format: str) -> None:
    first = runner.invoke(app, ["assess", str(bundle), "--format", format])
    second = runner.invoke(app, ["assess", str(bundle), "--format", format])
    assert first.exit_code == 0, first.output
    assert first.stdout == second.stdout
    assert first.stdout.strip()


def test_assess_writes_to_a_file_when_asked(bundle: Path, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["assess", str(bundle), "-f", "sarif", "-o", str(tmp_path / "r.sarif")]
    )
    assert result.exit_code == 0
    assert json.loads((tmp_path / "r.sarif").read_text())["version"] == "2.1.0"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--format", "pdf"], "--format must be one of json, md, html, sarif, junit, not 'pdf'"),
        (["--output", "/nonexistent/folder/x.json"], "--output: cannot write"),
    ],
)
def test_assess_refuses_bad_arguments_with_exit_2(
    bundle: Path, arguments: list[str], message: str
) -> None:
    result = runner.invoke(app, ["assess", str(bundle), *arguments])
    assert result.exit_code == 2
    assert message in result.output


def test_assess_refuses_a_folder_that_is_not_a_bundle(tmp_path: Path) -> None:
    result = runner.invoke(app, ["assess", str(tmp_path)])
    assert result.exit_code == 2
    assert "is not an evidence bundle: it has no manifest.json" in result.output


def test_the_gate_fails_a_system_below_the_whitepaper_targets(bundle: Path, tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    result = runner.invoke(
        app,
        [
            "gate",
            str(bundle / "assessment.json"),
            "--policy",
            "assessment/policies/whitepaper.yaml",
            "--summary",
            str(summary),
        ],
    )
    assert result.exit_code == 1
    assert "violation: observability" in result.output
    assert summary.read_text().startswith("## Readiness gate (whitepaper): **failed**")


def test_the_gate_passes_what_meets_its_policy_and_appends_to_the_job_summary(
    bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = tmp_path / "lenient.yaml"
    policy.write_text("schema_version: 1\nname: lenient\nmin_total: 10\n")
    job_summary = tmp_path / "job.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(job_summary))
    result = runner.invoke(
        app,
        [
            "gate",
            str(bundle / "assessment.json"),
            "--policy",
            str(policy),
            "--summary",
            str(tmp_path / "s.md"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "## Readiness gate (lenient): passed" in job_summary.read_text()


def test_the_gate_fails_on_a_regression_against_its_baseline(bundle: Path, tmp_path: Path) -> None:
    better = json.loads((bundle / "assessment.json").read_text())
    better["dimensions"][0]["score"] += 1
    baseline = tmp_path / "baseline.json"
    baseline.write_text(json.dumps(better))
    policy = tmp_path / "p.yaml"
    policy.write_text("schema_version: 1\nname: p\ndimensions: {architecture: {min: 1}}\n")
    result = runner.invoke(
        app,
        [
            "gate",
            str(bundle / "assessment.json"),
            "--policy",
            str(policy),
            "--baseline",
            str(baseline),
            "--summary",
            str(tmp_path / "s.md"),
        ],
    )
    assert result.exit_code == 1
    assert "architecture regressed from" in result.output


@pytest.mark.parametrize(
    ("policy", "baseline", "message"),
    [
        ("name: p\n", None, "schema_version: Field required"),
        ("schema_version: 1\nname: p\n", "not json", "--baseline: "),
    ],
    ids=["bad policy", "bad baseline"],
)
def test_the_gate_exits_2_on_bad_input(
    bundle: Path, tmp_path: Path, policy: str, baseline: str | None, message: str
) -> None:
    (tmp_path / "p.yaml").write_text(policy)
    extra = []
    if baseline is not None:
        (tmp_path / "b.json").write_text(baseline)
        extra = ["--baseline", str(tmp_path / "b.json")]
    result = runner.invoke(
        app, ["gate", str(bundle / "assessment.json"), "--policy", str(tmp_path / "p.yaml"), *extra]
    )
    assert result.exit_code == 2
    assert message in result.output


def _lines_of(descriptor: Path) -> dict[str, int]:
    return {line.split(":", 1)[0]: number for number, line
            in enumerate(descriptor.read_text().splitlines(), start=1)
            if line and not line.startswith((" ", "#", "-"))}  # fmt: skip


def test_sarif_places_each_result_at_its_field_in_the_descriptor_from_the_repository_root(
    bundle: Path, tmp_path: Path
) -> None:
    """The double's descriptor sits in the bundle's parent folder; with that folder as the
    root its path is `double.yaml`, and each result is on the line of the field it is about."""
    root = bundle.parent
    result = runner.invoke(app, ["assess", str(bundle), "-f", "sarif", "--sarif-root", str(root)])
    assert result.exit_code == 0, result.output
    results = json.loads(result.stdout)["runs"][0]["results"]
    lines = _lines_of(root / "double.yaml")
    where = {r["ruleId"]: r["locations"][0]["physicalLocation"] for r in results}
    assert {place["artifactLocation"]["uri"] for place in where.values()} == {"double.yaml"}
    assert where["declares_registry"]["region"]["startLine"] == lines.get("registry", 1)
    endpoints = lines["endpoints"]
    assert endpoints < where["exports_drift_per_feature"]["region"]["startLine"] < endpoints + 9
    assert len({place["region"]["startLine"] for place in where.values()}) > 2


def test_sarif_of_a_descriptor_that_changed_since_the_run_points_at_its_first_line(
    bundle: Path, tmp_path: Path
) -> None:
    moved = tmp_path / "bundle"
    manifest = json.loads((bundle / "manifest.json").read_text())
    changed = tmp_path / "double.yaml"
    changed.write_text(
        (bundle.parent / "double.yaml").read_text().replace("profile: test", "profile: other")
    )
    manifest["target"]["descriptor"] = str(changed)
    shutil.copytree(bundle, moved)
    (moved / "manifest.json").write_text(json.dumps(manifest))
    result = runner.invoke(
        app, ["assess", str(moved), "-f", "sarif", "--sarif-root", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    places = [r["locations"][0]["physicalLocation"] for r
              in json.loads(result.stdout)["runs"][0]["results"]]  # fmt: skip
    assert {(p["artifactLocation"]["uri"], p["region"]["startLine"]) for p in places} == {
        ("double.yaml", 1)
    }


@pytest.mark.parametrize(
    ("format", "check"),
    [
        ("text", lambda out: out.startswith("gate whitepaper: failed (")),
        ("json", lambda out: json.loads(out)["passed"] is False
         and "total" in json.loads(out) and json.loads(out)["policy"] == "whitepaper"),
        ("md", lambda out: out.startswith("## Readiness gate (whitepaper): **failed**")),
    ],
)  # fmt: skip
def test_the_gate_writes_its_verdict_to_stdout_in_the_format_asked_and_nothing_beside(
    bundle: Path, format: str, check: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    monkeypatch.chdir(tmp_path)
    before = sorted(p.name for p in bundle.iterdir())
    result = runner.invoke(
        app, ["gate", str(bundle / "assessment.json"), "--policy", "whitepaper", "-f", format]
    )
    assert result.exit_code == 1
    assert check(result.stdout), result.stdout
    assert sorted(p.name for p in bundle.iterdir()) == before
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--policy", "whitepaper", "-f", "xml"],
         "--format must be one of text, json, md, not 'xml'"),
        (["--policy", "strictest"],
         "--policy: 'strictest' is neither a file nor a shipped policy (whitepaper)"),
        (["--policy", "whitepaper", "--summary", "/nonexistent/s.md"],
         "--summary: cannot write /nonexistent/s.md"),
    ],
    ids=["an unknown format", "an unknown policy name", "a summary that cannot be written"],
)  # fmt: skip
def test_the_gate_names_a_bad_option(bundle: Path, arguments: list[str], message: str) -> None:
    result = runner.invoke(app, ["gate", str(bundle / "assessment.json"), *arguments])
    assert result.exit_code == 2
    assert message in result.output
