from reports.bundles import load_run
from reports.evidence import EvidenceIndex
from tests.reports.samples import PRODUCTION, SAMPLE_RUNS


def test_every_piece_of_evidence_a_finding_cites_is_found_in_its_bundle() -> None:
    run = load_run(SAMPLE_RUNS / PRODUCTION)
    index = EvidenceIndex.of(run.path, run.assessment)
    cited = {e for f in run.assessment.findings() for e in f.evidence}
    assert len(cited) > 30
    assert sorted(e for e in cited if index.get(e) is None) == []


def test_a_live_fact_says_what_where_when_and_by_what_collector() -> None:
    run = load_run(SAMPLE_RUNS / PRODUCTION)
    view = EvidenceIndex.of(run.path, run.assessment).get("fact:health")
    assert view is not None
    assert view.status == "collected"
    assert view.where.startswith("http://127.0.0.1:")
    assert view.when.startswith("2026-11-29 ")
    assert view.when.endswith(" UTC")
    assert view.by.startswith("collector live, readiness ")


def test_a_scenario_measure_shows_its_value_against_its_tolerance_and_its_step() -> None:
    run = load_run(SAMPLE_RUNS / PRODUCTION)
    view = EvidenceIndex.of(run.path, run.assessment).get("covariate-drift/expectation/0")
    assert view is not None
    assert view.status == "pass"
    assert view.value == "10.72 s (tolerance <= 40)"
    assert view.by.startswith("scenario covariate-drift, step 'shift the applicants'")


def test_an_id_the_bundle_does_not_hold_is_none() -> None:
    run = load_run(SAMPLE_RUNS / PRODUCTION)
    assert EvidenceIndex.of(run.path, run.assessment).get("fact:no-such-thing") is None
