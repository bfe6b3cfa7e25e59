"""What a run tells its observers.

The engine does not know who listens: the journal, the evidence writer, the time-series
writer and the progress display all subscribe as `RunObserver`s (Chaos Toolkit's
`RunEventHandler`, Locust's event hooks), and each method has a no-op default. The records
they receive are the bundle's own (`readiness.bundle`).
"""

from typing import TYPE_CHECKING

from readiness.bundle import Evidence, Phase, ScenarioResult, StepRecord

if TYPE_CHECKING:
    from harness.recording import Recording
    from harness.scenario import Activity, LoadedScenario
    from readiness.bundle import Manifest


class RunObserver:
    """Subscribe to a run by overriding what you need; every method is a no-op here."""

    def run_started(self, manifest: "Manifest") -> None:
        pass

    def scenario_started(self, scenario: "LoadedScenario", seed: int) -> None:
        pass

    def step_started(self, scenario: str, phase: Phase, activity: "Activity") -> None:
        pass

    def step_finished(self, record: StepRecord) -> None:
        pass

    def evidence(self, record: Evidence) -> None:
        pass

    def scenario_finished(self, result: ScenarioResult, recording: "Recording") -> None:
        pass

    def run_finished(self, manifest: "Manifest", results: list[ScenarioResult]) -> None:
        pass
