from assessment.policy import WHITEPAPER_POLICY, load_policy
from reports.bundles import load_run
from reports.document import Chart, Heading, Paragraph, Table, build, headings
from tests.reports.samples import PRODUCTION, PROTOTYPE, SAMPLE_RUNS


def test_the_report_has_overview_dimensions_evidence_timelines_and_roadmap_in_order() -> None:
    run = load_run(SAMPLE_RUNS / PRODUCTION)
    top = [b.text for b in build(run) if isinstance(b, Heading) and b.level <= 2]
    assert top == [
        f"Readiness of readiness-microservice-production: {run.assessment.total}/50",
        "Scorecard", "Dimensions", "Evidence", "Scenario timelines", "Roadmap",
    ]  # fmt: skip


def test_every_dimension_and_every_scenario_has_its_section() -> None:
    run = load_run(SAMPLE_RUNS / PRODUCTION)
    found = headings(build(run))
    for dimension in run.assessment.dimensions:
        assert f"{dimension.title}: {dimension.score}/5 (target {dimension.target})" in found
    assert "Bad rollout (passed)" in found
    assert "Traffic spike (failed)" in found


def test_with_a_policy_the_report_says_whether_the_run_passes_it() -> None:
    blocks = build(load_run(SAMPLE_RUNS / PROTOTYPE), load_policy(WHITEPAPER_POLICY))
    verdicts = [b.text for b in blocks if isinstance(b, Paragraph) and b.text.startswith("Policy")]
    assert len(verdicts) == 1
    assert verdicts[0].startswith("Policy whitepaper: FAILS. Violations: total 10 < minimum")


def test_the_evidence_table_lists_each_cited_id_once_with_where_and_when() -> None:
    run = load_run(SAMPLE_RUNS / PRODUCTION)
    blocks = build(run)
    table = next(b for b in blocks if isinstance(b, Table) and b.columns[0] == "id")
    ids = [row[0] for row in table.rows]
    assert ids == sorted(set(ids))
    assert set(ids) == {e for f in run.assessment.findings() for e in f.evidence}
    assert all(row[3] and row[4] for row in table.rows)  # where, when


def test_each_scenario_with_samples_has_a_chart_with_its_markers_in_words() -> None:
    blocks = build(load_run(SAMPLE_RUNS / PRODUCTION))
    timelines = [b for b in blocks if isinstance(b, Chart) and b.title.startswith("Timeline")]
    assert len(timelines) == 8
    drift = next(b for b in timelines if b.title == "Timeline of covariate-drift")
    assert any(line.endswith("action: shift the applicants") for line in drift.caption)
    assert any("detected: after 10.7 s" in line for line in drift.caption)
