"""The harness's composition root: a target, scenarios, observers, and a bundle folder.

Usable as a library (the CLI is a thin shell over it)::

    environment = Environment(Target.from_file(path), out=Path("runs/today"), seed=7)
    outcome = environment.run([load_scenario("steady-state")])

It checks that the target answers before anything runs, gives each scenario its seed,
runs them one after another, and leaves a complete bundle whatever happens: a target
that is down, an interrupted run, or scenarios that never ran are all recorded as such.
"""

import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.bundle import BundleWriter, scenario_entry
from harness.engine import Provenances, ScenarioEngine
from harness.events import RunObserver
from harness.scenario import LoadedScenario
from harness.target import Target
from readiness import __version__
from readiness.bundle import Evidence, Manifest, Outcome, ScenarioResult, TargetEntry
from readiness.errors import ReadinessError, TargetUnavailable


@dataclass(frozen=True)
class RunOutcome:
    bundle: Path
    manifest: Manifest
    results: list[ScenarioResult]


def scenario_seed(run_seed: int, loaded: LoadedScenario) -> int:
    """The scenario's own seed when its file sets one, else one derived from the run's."""
    declared = loaded.extension.seed
    if declared is not None:
        return declared
    return (run_seed * 1_000_003 + zlib.crc32(loaded.name.encode())) % (2**31)


class Environment:
    def __init__(
        self,
        target: Target,
        out: Path,
        *,
        seed: int = 0,
        observers: Sequence[RunObserver] = (),
    ) -> None:
        self.target, self.out, self.seed = target, out, seed
        self.writer = BundleWriter(out)
        self.observers: list[RunObserver] = [self.writer, *observers]
        descriptor = target.descriptor
        self.manifest = Manifest.begin(out, seed, TargetEntry(
            name=descriptor.name, architecture=descriptor.architecture,
            pattern=descriptor.pattern.value, profile=descriptor.profile,
            descriptor=str(target.path.resolve()) if target.path else "", digest=target.digest,
        ))  # fmt: skip

    def _emit(self, event: str, *arguments: object) -> None:
        for observer in self.observers:
            getattr(observer, event)(*arguments)

    def abandon(self, status: str, error: ReadinessError) -> RunOutcome:
        """Record a run that could not start (bad scenarios), so the bundle says why."""
        self.manifest.status, self.manifest.errors = status, [str(error)]
        self.manifest.ended = time.time()
        self.writer.write_manifest(self.manifest)
        return RunOutcome(self.out, self.manifest, [])

    def run(self, scenarios: Sequence[LoadedScenario]) -> RunOutcome:
        seeds = {loaded.name: scenario_seed(self.seed, loaded) for loaded in scenarios}
        self.manifest.scenarios = [scenario_entry(s, seeds[s.name]) for s in scenarios]
        self._emit("run_started", self.manifest)
        provenances = Provenances(__version__, self.manifest.code_version, self.target.digest)
        results: list[ScenarioResult] = []
        try:
            self._preflight(provenances)
            engine = ScenarioEngine(self.target, self.out / "work", self.observers, provenances)
            for loaded in scenarios:
                result = engine.run(loaded, seeds[loaded.name])
                results.append(result)
                self._record(results)
            self.manifest.status = "complete"
        except TargetUnavailable as error:
            self.manifest.status, self.manifest.errors = "target-unavailable", [str(error)]
            raise
        except BaseException as error:
            self.manifest.status = "interrupted"
            self.manifest.errors = [f"{type(error).__name__}: {error}"]
            raise
        finally:
            self.manifest.ended = time.time()
            self._record(results)
            self._emit("run_finished", self.manifest, results)
        return RunOutcome(self.out, self.manifest, results)

    def _record(self, results: list[ScenarioResult]) -> None:
        self.manifest.results = list(results)
        done = {result.name: result.status.value for result in results}
        for entry in self.manifest.scenarios:
            entry.status = done.get(entry.name, "not_run")

    def _preflight(self, provenances: Provenances) -> None:
        try:
            self.target.check_up()
            outcome, detail = Outcome.PASS, "the health endpoint answered 2xx"
        except TargetUnavailable as error:
            outcome, detail = Outcome.FAIL, str(error)
        health = self.target.url("health")
        self._emit("evidence", Evidence(
            id="preflight/health", kind="preflight", name="the target answers on its health "
            "endpoint", dimensions=[], value=outcome is Outcome.PASS, outcome=outcome,
            detail=detail, provenance=provenances.stamp("preflight", None, health, time.time()),
        ))  # fmt: skip
        if outcome is Outcome.FAIL:
            raise TargetUnavailable(f"{detail}; no scenario ran")
