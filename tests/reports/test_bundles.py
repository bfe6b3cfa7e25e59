import json
import shutil
from pathlib import Path

from reports.bundles import discover, load_run
from tests.reports.samples import PRODUCTION, PROTOTYPE, SAMPLE_RUNS, copy_runs


def test_the_catalogue_finds_every_assessed_bundle_newest_first() -> None:
    found = discover(SAMPLE_RUNS)
    assert [run.run_id for run in found.runs] == [PROTOTYPE, PRODUCTION]
    assert found.problems == []
    assert found.systems() == [
        "readiness-microservice-production (production)",
        "readiness-microservice-prototype (prototype)",
    ]


def test_a_folder_that_is_itself_a_bundle_is_its_own_catalogue() -> None:
    found = discover(SAMPLE_RUNS / PRODUCTION)
    assert [run.run_id for run in found.runs] == [PRODUCTION]


def test_bundles_in_nested_folders_are_found(tmp_path: Path) -> None:
    shutil.copytree(SAMPLE_RUNS / PRODUCTION, tmp_path / "team-a" / "march" / PRODUCTION)
    assert [run.run_id for run in discover(tmp_path).runs] == [PRODUCTION]


def test_a_run_refused_before_it_started_is_listed_with_its_reason(tmp_path: Path) -> None:
    runs = copy_runs(tmp_path)
    refused = runs / "refused"
    refused.mkdir()
    manifest = json.loads((runs / PRODUCTION / "manifest.json").read_text())
    manifest.update(run_id="refused", status="target-unavailable", results=[],
                    errors=["http://127.0.0.1:9/healthz did not answer"])  # fmt: skip
    (refused / "manifest.json").write_text(json.dumps(manifest))
    found = discover(runs)
    assert len(found.runs) == 2
    [problem] = found.problems
    assert problem.path == refused
    assert problem.problem == (
        "the run was target-unavailable and was never assessed: "
        "http://127.0.0.1:9/healthz did not answer"
    )


def test_a_finished_run_never_assessed_says_how_to_assess_it(tmp_path: Path) -> None:
    runs = copy_runs(tmp_path)
    (runs / PROTOTYPE / "assessment.json").unlink()
    [problem] = discover(runs).problems
    assert (
        problem.problem
        == f"no assessment.json: run `readiness assess {runs / PROTOTYPE}` to assess it"
    )


def test_an_assessment_of_another_schema_names_the_field(tmp_path: Path) -> None:
    runs = copy_runs(tmp_path)
    path = runs / PROTOTYPE / "assessment.json"
    document = json.loads(path.read_text())
    del document["total"]
    path.write_text(json.dumps(document))
    [problem] = discover(runs).problems
    assert (
        problem.problem == f"{runs / PROTOTYPE}: {path} is not an assessment: total: Field required"
    )


def test_an_unreadable_manifest_is_a_problem_and_the_others_still_load(tmp_path: Path) -> None:
    runs = copy_runs(tmp_path)
    (runs / PROTOTYPE / "manifest.json").write_text("{not json")
    found = discover(runs)
    assert [run.run_id for run in found.runs] == [PRODUCTION]
    assert found.problems[0].problem.startswith(
        f"evidence bundle {runs / PROTOTYPE}: manifest.json is unreadable:"
    )


def test_a_missing_runs_folder_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    found = discover(tmp_path / "nowhere")
    assert found.runs == []
    assert found.problems[0].problem == "no such folder"


def test_a_run_knows_its_system_and_label() -> None:
    run = load_run(SAMPLE_RUNS / PRODUCTION)
    assert run.system == "readiness-microservice-production (production)"
    assert run.label == f"{PRODUCTION}: {run.assessment.total}/50"
