"""Every export renders the same assessment, in the shape its readers need."""

import json
from pathlib import Path
from xml.etree import ElementTree

import pytest
from pydantic_sarif.model import StaticAnalysisResultsFormatSarifVersion210JsonSchema as Sarif

from assessment.engine import assess
from assessment.exports import Format, render
from assessment.result import Assessment
from tests.assessment.bundles import mature_facts, mature_scenarios, write_bundle


@pytest.fixture
def assessment(tmp_path: Path) -> Assessment:
    """A system with gaps: no monitor metrics, a key in its logs, a failed bias scenario."""
    scan = {"sources": ["s.log"], "lines": 5, "findings": ["s.log: the api key appears twice"]}
    facts = mature_facts(monitor_metrics=None, log_scan=scan)
    return assess(write_bundle(tmp_path, facts, mature_scenarios(failing=("bias",))))


def test_json_round_trips_into_the_same_assessment(assessment: Assessment) -> None:
    assert Assessment.model_validate_json(render(assessment, Format.JSON)) == assessment


def test_sarif_is_valid_against_the_sarif_2_1_0_schema(assessment: Assessment) -> None:
    document = json.loads(render(assessment, Format.SARIF))
    Sarif.model_validate(document)
    assert document["version"] == "2.1.0"


def test_sarif_has_a_result_per_failing_probe_with_severity_from_risk_and_gap(
    assessment: Assessment,
) -> None:
    run = json.loads(render(assessment, Format.SARIF))["runs"][0]
    results = {r["ruleId"]: r for r in run["results"]}
    failing = {f.probe for f in assessment.findings() if f.outcome in ("fail", "error")}
    assert set(results) == failing
    assert results["no_secret_or_raw_pii_in_logs"]["level"] == "warning"  # security: risk 3, gap 1
    assert len(run["tool"]["driver"]["rules"]) == len(assessment.findings())


def test_junit_has_one_test_case_per_probe(assessment: Assessment) -> None:
    root = ElementTree.fromstring(render(assessment, Format.JUNIT))
    cases = root.findall("./testsuite/testcase")
    assert len(cases) == len(assessment.findings())
    assert [s.get("name") for s in root.findall("testsuite")] == [
        d.id for d in assessment.dimensions
    ]
    failed = {c.get("name") for c in cases if c.find("failure") is not None}
    assert "no_secret_or_raw_pii_in_logs" in failed
    assert int(root.get("failures", "0")) == len(failed)


def test_markdown_fits_a_pull_request_comment(assessment: Assessment) -> None:
    text = render(assessment, Format.MARKDOWN)
    assert text.startswith("## Readiness: subject (production): ")
    assert "| Observability | 3 | 5 | 2 |" in text
    assert "- `exports_drift_per_feature` (**fail**)" in text
    assert len(text) < 65_000  # GitHub's comment limit


def test_html_is_self_contained_and_explains_every_dimension(assessment: Assessment) -> None:
    text = render(assessment, Format.HTML)
    assert "<script" not in text
    assert "http" not in text.split("<body>")[0]
    for dimension in assessment.dimensions:
        assert f'<h3 id="{dimension.id}">' in text
