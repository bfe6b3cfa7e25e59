"""What the commands do, as functions a script can call without the CLI (as Locust's
`Environment` runs without its command line): `open_target`, `run_scenarios` and
`assess_bundle` are `readiness run DESCRIPTOR` in three steps, `demo` is `readiness demo`.
The CLI (`readiness.cli`) adds options, progress and tables between the steps.

Heavy parts are imported inside the functions, so importing this module costs nothing.
"""

import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from readiness.errors import OperationFailed
from readiness.home import Home
from readiness.libraries import quiet_libraries

if TYPE_CHECKING:
    from assessment.result import Assessment
    from harness.environment import RunOutcome
    from harness.events import RunObserver
    from harness.scenario import LoadedScenario
    from harness.target import Target

DEMONSTRATED = {"microservice": "real-time", "event-driven": "streaming", "edge": "edge"}
"""The architectures `readiness demo` runs, and their patterns."""

Say = Callable[[str], None]
RunScenarios = Callable[[Path, "list[LoadedScenario]", int], "Assessment"]
"""Runs the scenarios against a descriptor with a seed and assesses the bundle."""


def _silent(_: str) -> None:
    pass


def open_target(descriptor: Path) -> "Target":
    """The target a descriptor describes, with the files it declares checked first."""
    from assessment.collectors.declarations import validate_declarations
    from harness.target import Target

    target = Target.from_file(descriptor)
    validate_declarations(target.descriptor, descriptor.parent)
    return target


def new_run_folder(home: Home, name: str) -> Path:
    """A fresh bundle folder under READINESS_HOME/runs, named by time and target."""
    from harness.bundle import new_run_id

    return home.ensure().runs / new_run_id(name)


def run_scenarios(
    target: "Target",
    folder: Path,
    scenarios: "Sequence[LoadedScenario]",
    seed: int = 0,
    observers: "Sequence[RunObserver]" = (),
) -> "RunOutcome":
    from harness.environment import Environment

    return Environment(target, folder, seed=seed, observers=list(observers)).run(scenarios)


def assess_bundle(
    folder: Path, target: "Target | None" = None, seed: int = 0, on_collect: Say = _silent
) -> "Assessment":
    """Collect the live facts (when `target` still runs), seal the bundle, assess it and
    write `assessment.json` (and the facts it derived) into it."""
    from assessment.collect import collect
    from assessment.engine import assess_and_record
    from readiness.bundle import write_digests

    if target is not None:
        collect(target, folder, seed, on_collect)
    write_digests(folder)
    return assess_and_record(folder)


def _readiness_step(arguments: list[str]) -> None:
    """A step of the demo as the user would run it, in a process of its own."""
    finished = subprocess.run([sys.executable, "-m", "readiness", *arguments], check=False)
    if finished.returncode != 0:
        raise OperationFailed(f"readiness {' '.join(arguments)} exited {finished.returncode}")


def approved_versions(tracking_uri: str) -> tuple[str | None, list[str]]:
    """(the champion's version, the other approved versions) of the served model."""
    from reference.platform.model.registry import APPROVED_BY, ModelRegistry
    from reference.platform.model.served import SERVED_MODEL

    quiet_libraries()
    registry = ModelRegistry(tracking_uri)
    champion = registry.champion(SERVED_MODEL)
    if champion is None:
        return None, []
    found = registry.client.search_model_versions(f"name = '{SERVED_MODEL}'")
    others = [str(v.version) for v in found if APPROVED_BY in v.tags]
    return champion.version, [version for version in others if version != champion.version]


def ensure_releases(home: Home, quick: bool = False, say: Say = _silent) -> None:
    """A champion to serve and a previous release to roll back to: train when the registry
    has no champion, retrain once when the champion is the only approved version."""
    from reference.platform.model.fairness import USE_CASE_POLICY

    size = ["--quick"] if quick else []
    champion, others = approved_versions(home.mlflow_tracking_uri)
    if champion is None:
        say("no champion in the registry: training one first")
        _readiness_step(["train", "--policy", str(USE_CASE_POLICY), *size])
        champion, others = approved_versions(home.mlflow_tracking_uri)
    if champion is not None and not others:
        say("the champion is the only approved version: retraining once, so that a previous "
            "release is there to roll back to")  # fmt: skip
        _readiness_step(["retrain", "--trigger", "schedule", "--fairness-policy",
                         str(USE_CASE_POLICY), "--evidence", "readiness demo: a second "
                         "release", *size])  # fmt: skip


def demo(
    home: Home,
    architectures: Sequence[str],
    run: RunScenarios,
    seed: int = 0,
    quick: bool = False,
    say: Say = _silent,
    starting: Callable[[str, str], None] = lambda name, profile: None,
) -> dict[str, tuple["Assessment", "Assessment"]]:
    """Each architecture in both profiles through its pattern's default scenarios:
    (production, prototype) assessments by architecture."""
    from harness import default_scenarios
    from harness.deploy import deployed
    from harness.scenario import load_scenario
    from reference.platform.deploy.profile import PROFILES

    ensure_releases(home.ensure(), quick, say)
    results: dict[str, tuple[Assessment, Assessment]] = {}
    for name in architectures:
        scenarios = [load_scenario(s) for s in default_scenarios(DEMONSTRATED[name])]
        assessments = []
        for profile in PROFILES:
            starting(name, profile)
            with deployed(name, profile) as descriptor:
                assessments.append(run(descriptor, scenarios, seed))
        results[name] = (assessments[0], assessments[1])
    return results
