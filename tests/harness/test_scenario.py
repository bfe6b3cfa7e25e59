"""Scenario files are validated completely before anything runs; each kind of invalid file
fails with a message naming the file, the place in it and the problem."""

from pathlib import Path

import pytest
import yaml
from chaoslib.experiment import ensure_experiment_is_valid

from harness import DEFAULT_SCENARIOS, STREAMING_SCENARIOS
from harness.scenario import load_scenario, parse_scenario, shipped_scenarios
from readiness.errors import InvalidScenario

VALID = """
title: Tiny
description: A scenario small enough to break in every way.
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
      arguments: {stages: [{seconds: 5, rate: 2}]}
  - type: action
    name: break it
    provider:
      type: python
      module: harness.activities
      func: inject_fault
      arguments: {hook: kill-replica}
rollbacks:
  - type: action
    name: undo it
    provider:
      type: python
      module: harness.activities
      func: undo_fault
      arguments: {hook: kill-replica}
  - type: action
    name: stop traffic
    provider: {type: python, module: harness.activities, func: stop_traffic}
extensions:
  - name: readiness
    dimensions: [reliability]
    expectations:
      - {name: nothing lost, measure: lost_requests, since: break it, max: 0}
"""


def broken(old: str, new: str) -> str:
    assert old in VALID, old
    return VALID.replace(old, new, 1)


CASES = {
    "not YAML": ("title: [unclosed", "not valid YAML"),
    "a missing title": (
        broken("title: Tiny\n", ""),
        "title: Field required",
    ),
    "no readiness extension": (
        broken("  - name: readiness\n", "  - name: someone-else\n"),
        "extensions: no 'readiness' extension",
    ),
    "an unknown injector": (
        broken("func: inject_fault", "func: inject_gremlins"),
        "method[1].provider.func: unknown function 'inject_gremlins' in module "
        "'harness.activities'",
    ),
    "an unknown module": (
        broken(
            "module: harness.activities\n      func: start_traffic",
            "module: harness.nowhere\n      func: start_traffic",
        ),
        "method[0].provider.module: cannot import module 'harness.nowhere': "
        "No module named 'harness.nowhere'",
    ),
    "an argument the function does not take": (
        broken("arguments: {stages: [{seconds: 5, rate: 2}]}", "arguments: {stages: [], speed: 3}"),
        "method[0].provider.arguments: start_traffic: got an unexpected keyword argument 'speed'",
    ),
    "a missing required argument": (
        broken("      arguments: {hook: kill-replica}\nrollbacks", "rollbacks"),
        "method[1].provider.arguments: inject_fault: missing a required argument: 'hook'",
    ),
    "an injector without its undo": (
        broken(
            "arguments: {hook: kill-replica}\n  - type: action\n    name: stop",
            "arguments: {hook: clear}\n  - type: action\n    name: stop",
        ),
        "method[1]: 'break it' injects with inject_fault, whose undo "
        "harness.activities.undo_fault is not among the rollbacks (with hook: kill-replica)",
    ),
    "an unknown measure": (
        broken("measure: lost_requests", "measure: vibes"),
        "extensions[0].expectations[0].measure: unknown measure 'vibes' (known: ",
    ),
    "bad measure arguments": (
        broken("measure: lost_requests,", "measure: alert_delay_s, arguments: {severity: [1]},"),
        "extensions[0].expectations[0].arguments.severity: Input should be a valid string",
    ),
    "an expectation without bounds": (
        broken(", max: 0}", "}"),
        "extensions[0].expectations[0]: Value error, an expectation needs max, min or both",
    ),
    "an expectation counting from a step that does not exist": (
        broken("since: break it", "since: later"),
        "extensions.readiness.expectations[0].since: no method step named 'later'",
    ),
    "a steady-state probe without tolerance": (
        broken("      tolerance: true\n", ""),
        "steady-state-hypothesis.probes[0].tolerance: a steady-state probe needs a tolerance",
    ),
    "an empty method": (
        broken("method:\n", "method: []\nunused:\n"),
        "method: List should have at least 1 item",
    ),
    "an unknown dimension": (
        broken("dimensions: [reliability]", "dimensions: [vibes]"),
        "extensions[0].dimensions[0]: Input should be 'architecture', 'mlops'",
    ),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_an_invalid_scenario_is_refused_with_where_and_why(case: str) -> None:
    text, message = CASES[case]
    with pytest.raises(InvalidScenario) as raised:
        parse_scenario(text, Path("tiny.yaml"))
    assert str(raised.value).startswith("scenario tiny.yaml: ")
    assert message in str(raised.value)


def test_the_valid_example_loads() -> None:
    loaded = parse_scenario(VALID, Path("tiny.yaml"))
    assert loaded.name == "tiny"
    assert loaded.extension.expectations[0].since == "break it"


def test_an_unknown_scenario_name_lists_the_shipped_ones() -> None:
    with pytest.raises(InvalidScenario, match=r"shipped scenarios: .*steady-state"):
        load_scenario("no-such-scenario")


def test_the_default_set_is_shipped_and_every_shipped_scenario_loads() -> None:
    assert set(DEFAULT_SCENARIOS) | set(STREAMING_SCENARIOS) <= set(shipped_scenarios())
    for name in shipped_scenarios():
        loaded = load_scenario(name)
        assert loaded.scenario.description.strip()
        assert loaded.extension.expectations


@pytest.mark.parametrize("name", shipped_scenarios())
def test_every_shipped_scenario_passes_chaostoolkit_validation(
    name: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("READINESS_TARGET", str(tmp_path / "target.yaml"))
    document = yaml.safe_load(load_scenario(name).path.read_text())
    ensure_experiment_is_valid(document)  # raises on an invalid experiment
