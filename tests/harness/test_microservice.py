"""Each injector against the running production microservice, with its undo, and one full
run of a short scenario through `readiness run`, all through the target's descriptor."""

import json
import time
from pathlib import Path
from typing import Any

import httpx
import pandas as pd

from harness import traffic
from harness.activities import (
    inject_fault,
    start_traffic,
    steer_traffic,
    stop_traffic,
    undo_fault,
    wait_for_traffic,
)
from harness.metrics import scrape
from harness.target import Target
from readiness.home import Home
from reference.platform.model.lifecycle import TrainingSummary
from tests.examples import VALID_ROW
from tests.reference.microservice.running import readiness

SCENARIOS = Path(__file__).parent / "scenarios"


def configuration(descriptor: Path, work: Path) -> dict[str, Any]:
    return {"readiness_target": str(descriptor), "readiness_work": str(work),
            "readiness_seed": 3}  # fmt: skip


def predict(target: Target, age: int = 40) -> httpx.Response:
    """A prediction of the example row at `age`: a new age is a cache miss, so it reaches
    a replica."""
    return httpx.post(target.url("predict"), json={"instances": [{**VALID_ROW, "age": age}]},
                      headers=target.headers(), timeout=30)  # fmt: skip


def served_version(target: Target) -> str:
    answer = predict(target)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["predictions"][0]["version"])


def fallback_instances(target: Target) -> float:
    samples = scrape(target.url("metrics"), target.headers())
    return sum(s.value for s in samples if s.metric == "readiness_fallback_instances_total")


def test_the_accelerator_hook_sends_answers_to_the_cpu_fallback_until_undone(
    production_descriptor: Path, tmp_path: Path
) -> None:
    target = Target.from_file(production_descriptor)
    settings = configuration(production_descriptor, tmp_path)
    before = fallback_instances(target)
    inject_fault("accelerator-failure", configuration=settings)
    try:
        assert all(predict(target, age).status_code == 200 for age in range(20, 25))
        during = fallback_instances(target)
    finally:
        undone = undo_fault("accelerator-failure", configuration=settings)
    assert during >= before + 5
    assert undone["undone"] is True
    assert all(predict(target, age).status_code == 200 for age in range(25, 30))
    assert fallback_instances(target) == during


def test_a_killed_replica_loses_no_request_of_running_traffic(
    production_descriptor: Path, tmp_path: Path
) -> None:
    settings = configuration(production_descriptor, tmp_path)
    start_traffic([{"seconds": 8, "rate": 10}], configuration=settings)
    time.sleep(2)
    killed_at = time.time()
    try:
        inject_fault("kill-replica", configuration=settings)
        wait_for_traffic(60, configuration=settings)
    finally:
        stop_traffic(configuration=settings)
        undo_fault("kill-replica", configuration=settings)
    requests = traffic.read_requests(tmp_path / "traffic")
    assert (requests["time"] < killed_at).sum() >= 5
    assert (requests["time"] > killed_at).sum() >= 5  # the traffic ran through the kill
    assert set(requests["status"]) == {200}


def test_a_bad_rollout_serves_a_new_version_until_its_undo_restores_the_old_one(
    production_descriptor: Path, tmp_path: Path
) -> None:
    target = Target.from_file(production_descriptor)
    settings = configuration(production_descriptor, tmp_path)
    before = served_version(target)
    try:
        injected = inject_fault("bad-rollout", configuration=settings)
        assert served_version(target) != before
    finally:
        undone = undo_fault("bad-rollout", configuration=settings)
    assert '"version"' in injected["detail"]
    assert undone["undone"] is True
    assert served_version(target) == before
    again = undo_fault("bad-rollout", configuration=settings)  # harmless once undone
    assert "nothing to restore" in again["detail"]


def test_traffic_changes_what_it_sends_at_known_moments(
    production_descriptor: Path, tmp_path: Path
) -> None:
    settings = configuration(production_descriptor, tmp_path)
    start_traffic([{"seconds": 9, "rate": 10}], configuration=settings)
    time.sleep(3)
    drift = steer_traffic(transform="covariate-drift", configuration=settings)
    time.sleep(3)
    broken = steer_traffic(transform="data-quality", configuration=settings)
    wait_for_traffic(60, configuration=settings)
    stop_traffic(configuration=settings)
    requests = traffic.read_requests(tmp_path / "traffic")
    assert set(requests["transform"]) == {"none", "covariate-drift", "data-quality"}
    first_drifted = requests[requests["transform"] == "covariate-drift"]["time"].min()
    assert first_drifted >= drift["since"]
    valid = requests[requests["defect"] == ""]
    defective = requests[requests["defect"] != ""]
    assert set(valid["status"]) == {200}
    assert len(defective) > 0
    assert set(defective["status"]) == {422}
    assert defective["time"].min() >= broken["since"]


def test_a_short_scenario_runs_end_to_end_through_the_cli(
    production_descriptor: Path, champion_home: Home, tmp_path: Path
) -> None:
    bundle = tmp_path / "bundle"
    finished = readiness(champion_home, "run", str(production_descriptor), "-s",
                          str(SCENARIOS / "short-failover.yaml"), "--out", str(bundle))  # fmt: skip
    assert finished.returncode == 0, finished.stderr[-3000:]
    assert finished.stdout.strip() == str(bundle)
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert manifest["target"]["profile"] == "production"
    result = manifest["results"][0]
    assert [e["outcome"] for e in result["expectations"]] == ["pass", "pass", "pass"], result
    assert result["status"] == "passed"
    series = pd.read_parquet(bundle / "timeseries" / "short-failover.parquet")
    assert "readiness_fallback_instances_total" in set(series["metric"])
    assert "short-failover" in finished.stderr  # the progress display and the table


def test_run_with_an_architecture_deploys_it_for_the_run_and_stops_it_after(
    trained: tuple[Home, TrainingSummary], tmp_path: Path
) -> None:
    home = trained[0]
    bundle = tmp_path / "bundle"
    finished = readiness(home, "run", "microservice", "--profile", "prototype", "-s",
                          str(SCENARIOS / "short-steady.yaml"), "--out", str(bundle))  # fmt: skip
    assert finished.returncode == 0, finished.stderr[-3000:]
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert manifest["target"]["profile"] == "prototype"
    result = manifest["results"][0]
    outcomes = {e["name"]: e["outcome"] for e in result["expectations"]}
    assert outcomes == {"requests were answered": "pass", "no alert fires": "not_available"}
    assert result["status"] == "not_measured"
    assert not (home.root / "deployments" / "microservice" / "service.pid").exists()
