"""A run through the composition root against the test double: what the bundle holds, and
that undo, rollbacks and failures are recorded rather than lost."""

import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from harness.environment import Environment, RunOutcome
from harness.scenario import LoadedScenario, parse_scenario
from harness.target import Target
from readiness.bundle import read_jsonl
from readiness.descriptor import Credentials, Endpoints
from readiness.errors import TargetUnavailable
from tests.harness.double import DoubleState, double_descriptor, running_double

SCENARIO = """
title: Double trouble
description: Traffic, then predictions break until the undo puts them right.
steady-state-hypothesis:
  title: healthy
  probes:
    - type: probe
      name: target is healthy
      tolerance: true
      provider: {type: python, module: harness.activities, func: target_is_healthy}
method:
  - type: action
    name: traffic
    provider:
      type: python
      module: harness.activities
      func: start_traffic
      arguments: {stages: [{seconds: 4, rate: 10}], feedback: 1.0}
    pauses: {after: 1.5}
  - type: action
    name: break predictions
    provider:
      type: python
      module: harness.activities
      func: inject_fault
      arguments: {hook: HOOK}
  - type: probe
    name: traffic runs its course
    provider: {type: python, module: harness.activities, func: wait_for_traffic}
rollbacks:
  - type: action
    name: undo the break
    provider:
      type: python
      module: harness.activities
      func: undo_fault
      arguments: {hook: HOOK}
  - type: action
    name: stop traffic
    provider: {type: python, module: harness.activities, func: stop_traffic}
extensions:
  - name: readiness
    dimensions: [reliability]
    seed: 42
    sample_every_s: 0.5
    expectations:
      - {name: requests were made, measure: requests, min: 10}
      - {name: nothing lost after the break, measure: lost_requests, since: break predictions,
         max: 0}
"""


def scenario(hook: str = "break", text: str = SCENARIO) -> LoadedScenario:
    return parse_scenario(text.replace("HOOK", hook), Path("double-trouble.yaml"))


@pytest.fixture
def double(tmp_path: Path) -> Iterator[tuple[Target, DoubleState]]:
    with running_double() as (base, state):
        yield Target.from_file(double_descriptor(base, tmp_path)), state


def run(target: Target, folder: Path, *scenarios: LoadedScenario) -> RunOutcome:
    return Environment(target, folder / "bundle", seed=7).run(list(scenarios))


def test_a_run_leaves_a_complete_bundle(double: tuple[Target, DoubleState], tmp_path: Path) -> None:
    target, state = double
    outcome = run(target, tmp_path, scenario())
    bundle = outcome.bundle
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert manifest["status"] == "complete"
    assert manifest["target"]["digest"] == target.digest
    assert manifest["scenarios"][0]["seed"] == 42
    assert manifest["scenarios"][0]["status"] == "failed"
    assert {"python", "locust", "chaostoolkit-lib"} <= set(manifest["versions"])
    assert manifest["code_version"]
    journal = read_jsonl(bundle / "journal.jsonl")
    assert [(j["phase"], j["step"]) for j in journal] == [
        ("steady-state-before", "target is healthy"), ("method", "traffic"),
        ("method", "break predictions"), ("method", "traffic runs its course"),
        ("steady-state-after", "target is healthy"), ("rollback", "undo the break"),
        ("rollback", "stop traffic"),
    ]  # fmt: skip
    assert all(j["ended"] >= j["started"] and j["status"] == "succeeded" for j in journal)
    evidence = {e["id"]: e for e in read_jsonl(bundle / "evidence.jsonl")}
    lost = evidence["double-trouble/expectation/1"]
    assert lost["outcome"] == "fail"
    assert lost["value"] > 0
    assert lost["provenance"]["deployment_digest"] == target.digest
    assert lost["provenance"]["step"] == "break predictions"
    assert target.url("predict") in lost["provenance"]["source"]
    assert evidence["preflight/health"]["outcome"] == "pass"
    series = pd.read_parquet(bundle / "timeseries" / "double-trouble.parquet")
    assert {"readiness_alerts_firing", "up", "latency_p99_ms", "error_rate"} <= set(series.metric)
    requests = pd.read_parquet(bundle / "requests" / "double-trouble.parquet")
    assert set(requests["kind"]) == {"predict", "feedback"}
    assert (bundle / "scenarios" / "double-trouble.yaml").exists()
    assert state.hooks == ["break", "clear"]
    assert not state.broken


def test_a_failed_step_still_runs_every_rollback_and_a_failed_undo_is_recorded(
    double: tuple[Target, DoubleState], tmp_path: Path
) -> None:
    target, state = double
    outcome = run(target, tmp_path, scenario("stubborn"))
    result = outcome.results[0]
    assert result.failed_rollbacks == ["undo the break"]
    journal = read_jsonl(outcome.bundle / "journal.jsonl")
    undo = next(j for j in journal if j["step"] == "undo the break")
    assert undo["status"] == "failed"
    assert "undo hook 'flaky-undo' failed: 500" in undo["error"]
    stop = next(j for j in journal if j["step"] == "stop traffic")
    assert stop["status"] == "succeeded"
    assert state.hooks == ["break", "flaky-undo"]


def test_a_steady_state_that_does_not_hold_injects_nothing(
    double: tuple[Target, DoubleState], tmp_path: Path
) -> None:
    target, state = double
    text = SCENARIO.replace("tolerance: true", "tolerance: false")
    outcome = run(target, tmp_path, scenario(text=text))
    assert outcome.results[0].status == "aborted"
    assert "nothing was injected" in (outcome.results[0].error or "")
    assert "break" not in state.hooks
    assert state.hooks == ["clear"]  # the rollbacks ran all the same


def test_a_target_that_is_down_is_a_clear_error_with_a_bundle_saying_so(tmp_path: Path) -> None:
    with running_double() as (base, _):
        path = double_descriptor(base, tmp_path)
    target = Target.from_file(path)  # the double has stopped: nothing answers
    with pytest.raises(TargetUnavailable, match=r"health endpoint .* did not answer"):
        run(target, tmp_path, scenario())
    manifest = json.loads((tmp_path / "bundle" / "manifest.json").read_text())
    assert manifest["status"] == "target-unavailable"
    assert manifest["scenarios"][0]["status"] == "not_run"
    evidence = read_jsonl(tmp_path / "bundle" / "evidence.jsonl")
    assert evidence[0]["id"] == "preflight/health"
    assert evidence[0]["outcome"] == "fail"


def test_a_scenario_needing_an_undeclared_hook_is_not_started_and_says_what_to_offer(
    tmp_path: Path,
) -> None:
    with running_double() as (base, state):
        target = Target.from_file(double_descriptor(base, tmp_path, fault_hooks=[]))
        outcome = run(target, tmp_path, scenario())
    result = outcome.results[0]
    assert result.status == "not_applicable"
    assert result.error is not None
    assert "the fault hook 'break'" in result.error
    assert "declare it under fault_hooks" in result.error
    assert result.failed_steps == result.failed_rollbacks == []
    assert result.expectations == []
    assert state.predictions == 0
    assert state.hooks == []
    journal = read_jsonl(outcome.bundle / "journal.jsonl")
    assert journal == []


def test_a_scenario_whose_valid_rows_are_refused_is_invalid_not_passed(tmp_path: Path) -> None:
    (tmp_path / "wrong.env").write_text("DOUBLE_KEY=not-the-key\n")
    with running_double() as (base, _state):
        target = Target.from_file(double_descriptor(base, tmp_path, credentials=Credentials(
            api_key_env="DOUBLE_KEY", env_file=tmp_path / "wrong.env")))  # fmt: skip
        outcome = run(target, tmp_path, scenario())
    result = outcome.results[0]
    assert result.status == "invalid"
    assert result.error is not None
    assert "valid rows before the fault" in result.error
    assert "401" in result.error
    assert "check the data and the protocol" in result.error
    assert {e.outcome for e in result.expectations} == {"not_available"}


def test_a_descriptor_missing_an_endpoint_says_which(tmp_path: Path) -> None:
    with running_double() as (base, _):
        path = double_descriptor(base, tmp_path)
        target = Target.from_file(path)
        with pytest.raises(Exception, match=r"endpoints\.explain: not declared"):
            target.url("explain")


STREAM_EXPECTATIONS = """
    expectations:
      - {name: nothing lost after the drop, measure: lost_results, since: break predictions,
         max: 0}
      - {name: nothing duplicated, measure: duplicated_results, max: 0}
      - {name: end to end before the drop, measure: latency_ms,
         arguments: {of: end_to_end, quantile: 0.5}, max: 1000}
"""


def test_a_target_with_a_results_endpoint_has_its_accepted_requests_followed_up(
    tmp_path: Path,
) -> None:
    with running_double() as (base, state):
        endpoints = Endpoints(predict=f"{base}/v1/models/{{model}}/predict",
                              health=f"{base}/healthz", metrics=f"{base}/metrics",
                              results=f"{base}/v1/results")  # fmt: skip
        target = Target.from_file(double_descriptor(base, tmp_path, endpoints=endpoints))
        text = SCENARIO.split("    expectations:", maxsplit=1)[0] + STREAM_EXPECTATIONS
        outcome = run(target, tmp_path, scenario("drop", text))
    expectations = {e.name: e for e in outcome.results[0].expectations}
    lost = expectations["nothing lost after the drop"]
    dropped = state.predictions - len(state.acted)
    assert lost.value == dropped > 0
    assert "without a result" in lost.detail
    assert expectations["nothing duplicated"].value == 0
    end_to_end = expectations["end to end before the drop"]
    assert end_to_end.value is not None
    assert 15 <= end_to_end.value < 1000  # acted on 20 ms after it answered
    requests = pd.read_parquet(outcome.bundle / "requests" / "double-trouble.parquet")
    assert {"results", "actions", "completed_at"} <= set(requests.columns)
