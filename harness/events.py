"""What a run tells its observers, and the records it leaves in the evidence bundle.

The engine does not know who listens: the journal, the evidence writer, the time-series
writer and the progress display all subscribe as `RunObserver`s (Chaos Toolkit's
`RunEventHandler`, Locust's event hooks), and each method has a no-op default.
"""

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from harness.bundle import Manifest
    from harness.recording import Recording
    from harness.scenario import Activity, LoadedScenario


class Phase(StrEnum):
    PREFLIGHT = "preflight"
    BEFORE = "steady-state-before"
    METHOD = "method"
    AFTER = "steady-state-after"
    ROLLBACK = "rollback"


class StepStatus(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"


class Outcome(StrEnum):
    """The framework's outcomes of a fact: unknown is never a pass and never a zero."""

    PASS = "pass"
    FAIL = "fail"
    NOT_AVAILABLE = "not_available"
    """Nothing to judge by: the step did not run, the target exports no such metric."""
    NOT_APPLICABLE = "not_applicable"
    ERROR = "error"
    """The probe itself failed (its step raised)."""


class ScenarioStatus(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    NOT_MEASURED = "not_measured"
    ABORTED = "aborted"
    """The steady state did not hold before the fault, so nothing was injected."""
    INVALID = "invalid"
    """The target refused more than 5% of the valid rows before the fault: nothing measured
    over its traffic means anything (the data or the protocol is wrong)."""
    NOT_APPLICABLE = "not_applicable"
    """The scenario needs a fault hook the descriptor does not declare; it was not started."""
    NOT_RUN = "not_run"


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StepRecord(_Record):
    """One line of `journal.jsonl`: a step of a scenario, as Chaos Toolkit journals one."""

    scenario: str
    phase: Phase
    step: str
    activity: str
    """`module.function` of the provider."""
    arguments: dict[str, Any]
    started: float
    ended: float
    duration_s: float
    status: StepStatus
    output: Any = None
    error: str | None = None
    tolerance_met: bool | None = None


class Provenance(_Record):
    scenario: str
    step: str | None
    source: str
    """The endpoint or store asked (URLs), or the step whose output was read."""
    observed_at: float
    tool_version: str
    code_version: str
    deployment_digest: str


class Evidence(_Record):
    """One line of `evidence.jsonl`: a fact, with where it came from."""

    id: str
    kind: str
    """expectation | probe | preflight"""
    name: str
    dimensions: list[str]
    value: float | bool | int | str | None
    unit: str = ""
    outcome: Outcome
    tolerance: str = ""
    detail: str = ""
    measure: str | None = None
    provenance: Provenance


class ExpectationResult(_Record):
    name: str
    measure: str
    value: float | None
    unit: str
    tolerance: str
    outcome: Outcome
    detail: str
    evidence_id: str


class ScenarioResult(_Record):
    name: str
    title: str
    dimensions: list[str]
    seed: int
    status: ScenarioStatus
    started: float
    ended: float
    expectations: list[ExpectationResult] = []
    failed_steps: list[str] = []
    failed_rollbacks: list[str] = []
    error: str | None = None


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
