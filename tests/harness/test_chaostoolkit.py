"""Our injectors and probes are a Chaos Toolkit extension: chaoslib itself validates and runs
an experiment made of them against a target (the test double), undo included."""

from pathlib import Path
from typing import Any

from chaoslib.experiment import ensure_experiment_is_valid, run_experiment

from harness import traffic
from tests.harness.double import double_descriptor, running_double


def experiment(descriptor: Path, work: Path) -> dict[str, Any]:
    provider = {"type": "python", "module": "harness.activities"}
    return {
        "title": "Break the double and put it right",
        "description": "readiness activities run by chaostoolkit-lib",
        "configuration": {"readiness_target": str(descriptor), "readiness_work": str(work)},
        "steady-state-hypothesis": {"title": "healthy", "probes": [
            {"type": "probe", "name": "healthy", "tolerance": True,
             "provider": {**provider, "func": "target_is_healthy"}},
        ]},
        "method": [
            {"type": "action", "name": "traffic", "provider": {
                **provider, "func": "start_traffic",
                "arguments": {"stages": [{"seconds": 2, "rate": 5}]}}},
            {"type": "probe", "name": "alerts before", "provider": {
                **provider, "func": "alerts_firing"}},
            {"type": "action", "name": "raise an alert", "provider": {
                **provider, "func": "inject_fault", "arguments": {"hook": "alert"}}},
            {"type": "probe", "name": "alerts now", "provider": {
                **provider, "func": "alerts_firing"}},
        ],
        "rollbacks": [
            {"type": "action", "name": "undo", "provider": {
                **provider, "func": "undo_fault", "arguments": {"hook": "alert"}}},
            {"type": "action", "name": "stop traffic", "provider": {
                **provider, "func": "stop_traffic"}},
        ],
    }  # fmt: skip


def test_chaostoolkit_runs_our_activities_and_their_undo(tmp_path: Path) -> None:
    with running_double() as (base, state):
        descriptor = double_descriptor(base, tmp_path)
        document = experiment(descriptor, tmp_path / "work")
        ensure_experiment_is_valid(document)
        journal = run_experiment(document, settings={"runtime": {"rollbacks": {
            "strategy": "always"}}})  # fmt: skip
    assert journal["status"] == "completed", journal
    assert journal["steady_states"]["before"]["steady_state_met"] is True
    assert journal["steady_states"]["after"]["steady_state_met"] is True
    outputs = {run["activity"]["name"]: run["output"] for run in journal["run"]}
    assert outputs["alerts before"] == 0
    assert outputs["alerts now"] == 1
    assert state.hooks == ["alert", "clear"]
    assert not state.alert
    assert len(traffic.read_requests(tmp_path / "work" / "traffic")) > 0
    assert [r["activity"]["name"] for r in journal["rollbacks"]] == ["undo", "stop traffic"]
