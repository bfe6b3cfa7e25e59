from pathlib import Path

from reports.bundles import load_run
from reports.evidence import EvidenceIndex, seal_line, served_line
from tests.reports.samples import PRODUCTION, PROTOTYPE, SAMPLE_RUNS, copy_runs


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


def _index(folder: Path) -> EvidenceIndex:
    run = load_run(folder)
    return EvidenceIndex.of(run.path, run.assessment)


def test_the_served_model_is_read_from_the_target_s_model_info_metric() -> None:
    assert served_line(_index(SAMPLE_RUNS / PRODUCTION)) == (
        "Served model: adult-income version 1 (sha256 531c24a98ff4)."
    )
    assert served_line(_index(SAMPLE_RUNS / PROTOTYPE)) == (
        "Served model: not exported by the target."
    )


def test_a_bundle_as_sealed_says_so_and_an_edited_one_says_what_changed(tmp_path: Path) -> None:
    runs = copy_runs(tmp_path)
    assert seal_line(runs / PRODUCTION).startswith("Evidence seal: ")
    assert seal_line(runs / PRODUCTION).endswith(" files, unchanged since the run.")
    journal = runs / PRODUCTION / "journal.jsonl"
    journal.write_text(journal.read_text().replace("succeeded", "failed", 1))
    line = seal_line(runs / PRODUCTION)
    assert line.startswith("Evidence seal BROKEN: ")
    assert "journal.jsonl" in line
