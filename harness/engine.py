"""Run one scenario: steady state, method, steady state again, rollbacks, measures.

The order is Chaos Toolkit's: when the steady-state hypothesis does not hold before the
fault, nothing is injected. Rollbacks always run, each on its own (a failed one is
recorded and the others still run), and so do the samplers' and the traffic's shutdowns.
Only then are the expectations measured, from the recording alone.
"""

import os
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from harness import traffic
from harness.events import RunObserver
from harness.measures import MEASURES
from harness.recording import Recording, StepTimes
from harness.results import reconcile
from harness.sampler import Sampler
from harness.scenario import Activity, LoadedScenario, RangeTolerance, Tolerance, resolve
from harness.target import Target
from harness.validity import not_applicable, refused_valid_rows
from readiness.bundle import (
    Evidence,
    ExpectationResult,
    Outcome,
    Phase,
    Provenance,
    ScenarioResult,
    ScenarioStatus,
    StepRecord,
    StepStatus,
)


def tolerance_met(tolerance: Tolerance | None, output: Any) -> bool:
    """Chaos Toolkit's tolerance semantics for the kinds we accept."""
    if tolerance is None:
        return True
    if isinstance(tolerance, RangeTolerance):
        low, high = tolerance.range
        return (
            isinstance(output, int | float)
            and not isinstance(output, bool)
            and (low <= output <= high)
        )
    if isinstance(tolerance, list):
        return output in tolerance
    if isinstance(tolerance, bool) or isinstance(output, bool):
        return output is tolerance
    return bool(output == tolerance)


def describe_tolerance(tolerance: Tolerance | None) -> str:
    if isinstance(tolerance, RangeTolerance):
        return f"in [{tolerance.range[0]:g}, {tolerance.range[1]:g}]"
    return "" if tolerance is None else f"== {tolerance}"


class Provenances:
    """Stamps evidence with the tool, code and deployment it came from."""

    def __init__(self, tool_version: str, code_version: str, digest: str) -> None:
        self.tool_version, self.code_version, self.digest = tool_version, code_version, digest

    def stamp(self, scenario: str, step: str | None, source: str, at: float) -> Provenance:
        return Provenance(
            scenario=scenario, step=step, source=source, observed_at=at,
            tool_version=self.tool_version, code_version=self.code_version,
            deployment_digest=self.digest,
        )  # fmt: skip


class ScenarioEngine:
    def __init__(
        self,
        target: Target,
        work: Path,
        observers: Sequence[RunObserver],
        provenances: Provenances,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.target, self.work, self.observers = target, work, list(observers)
        self.provenances, self.clock, self.sleep = provenances, clock, sleep

    def _emit(self, event: str, *arguments: Any) -> None:
        for observer in self.observers:
            getattr(observer, event)(*arguments)

    def configuration(self, loaded: LoadedScenario, seed: int) -> dict[str, Any]:
        configured: dict[str, Any] = {}
        for key, value in loaded.scenario.configuration.items():
            if isinstance(value, dict) and value.get("type") == "env":
                configured[key] = os.environ.get(str(value.get("key")), value.get("default"))
            else:
                configured[key] = value
        work = self.work / loaded.name
        work.mkdir(parents=True, exist_ok=True)
        assert self.target.path is not None, "the engine runs targets loaded from a file"
        return {**configured, "readiness_target": str(self.target.path),
                "readiness_work": str(work), "readiness_seed": seed}  # fmt: skip

    def run(self, loaded: LoadedScenario, seed: int) -> ScenarioResult:
        why_not = not_applicable(loaded, self.target.descriptor)
        if why_not is not None:
            return self._not_applicable(loaded, seed, why_not)
        scenario, extension = loaded.scenario, loaded.extension
        configuration = self.configuration(loaded, seed)
        recording = Recording(loaded.name, started=self.clock(), slos=self.target.descriptor.slos)
        self._emit("scenario_started", loaded, seed)
        sampler = Sampler(self.target, extension.sample_every_s, self.clock)
        sampler.start()
        failed: list[str] = []
        failed_rollbacks: list[str] = []
        aborted = False
        try:
            hypothesis = scenario.steady_state_hypothesis
            probes = hypothesis.probes if hypothesis else []
            for probe in probes:
                record = self._step(loaded.name, Phase.BEFORE, probe, configuration, recording)
                aborted = aborted or record.tolerance_met is False
            if not aborted:
                for activity in scenario.method:
                    record = self._step(loaded.name, Phase.METHOD, activity, configuration,
                                        recording)  # fmt: skip
                    if record.status is StepStatus.FAILED:
                        failed.append(activity.name)
                for probe in probes:
                    record = self._step(loaded.name, Phase.AFTER, probe, configuration,
                                        recording)  # fmt: skip
                    if record.tolerance_met is False:
                        failed.append(f"steady state after: {probe.name}")
        finally:
            for activity in scenario.rollbacks:
                record = self._step(loaded.name, Phase.ROLLBACK, activity, configuration,
                                    recording)  # fmt: skip
                if record.status is StepStatus.FAILED:
                    failed_rollbacks.append(activity.name)
            work = Path(configuration["readiness_work"])
            traffic.stop(work / "traffic")
            recording.requests = traffic.read_requests(work / "traffic")
            if self.target.has("results"):
                recording.requests, recording.follow_up = reconcile(self.target,
                                                                    recording.requests)  # fmt: skip
            recording.samples = sampler.stop()
            recording.ended = self.clock()
        invalid = None if aborted else refused_valid_rows(loaded, recording)
        expectations = [] if aborted else self._measure(loaded, recording, invalid)
        status = ScenarioStatus.INVALID if invalid else _status(aborted, expectations)
        error = "the steady state did not hold before the fault; nothing was injected"
        result = ScenarioResult(
            name=loaded.name, title=scenario.title,
            dimensions=[str(d) for d in extension.dimensions], seed=seed,
            status=status, started=recording.started,
            ended=recording.ended, expectations=expectations, failed_steps=failed,
            failed_rollbacks=failed_rollbacks,
            error=error if aborted else invalid,
        )  # fmt: skip
        self._emit("scenario_finished", result, recording)
        return result

    def _not_applicable(self, loaded: LoadedScenario, seed: int, why: str) -> ScenarioResult:
        """A scenario that cannot run against this target, recorded once, with the reason;
        nothing of it is started."""
        self._emit("scenario_started", loaded, seed)
        now = self.clock()
        recording = Recording(loaded.name, started=now, ended=now,
                              slos=self.target.descriptor.slos)  # fmt: skip
        result = ScenarioResult(
            name=loaded.name, title=loaded.scenario.title,
            dimensions=[str(d) for d in loaded.extension.dimensions], seed=seed,
            status=ScenarioStatus.NOT_APPLICABLE, started=now, ended=now,
            error=f"not applicable: {why}",
        )  # fmt: skip
        self._emit("scenario_finished", result, recording)
        return result

    def _step(
        self,
        scenario: str,
        phase: Phase,
        activity: Activity,
        configuration: dict[str, Any],
        recording: Recording,
    ) -> StepRecord:
        self._emit("step_started", scenario, phase, activity)
        if activity.pauses.before:
            self.sleep(activity.pauses.before)
        started = self.clock()
        output: Any = None
        error: str | None = None
        try:
            function = resolve(activity.provider, activity.name)
            arguments = dict(activity.provider.arguments)
            if "configuration" in _parameters(function):
                arguments["configuration"] = configuration
            output = function(**arguments)
            status = StepStatus.SUCCEEDED
        except Exception as problem:
            status = StepStatus.FAILED
            error = "".join(traceback.format_exception_only(problem)).strip()
        ended = self.clock()
        met = tolerance_met(activity.tolerance, output) if activity.tolerance is not None else None
        if met is False and status is StepStatus.SUCCEEDED:
            wanted = describe_tolerance(activity.tolerance)
            error = f"output {output!r} does not meet tolerance {wanted}"
        record = StepRecord(
            scenario=scenario, phase=phase, step=activity.name,
            activity=f"{activity.provider.module}.{activity.provider.func}",
            arguments=activity.provider.arguments, started=started, ended=ended,
            duration_s=ended - started, status=status, output=_json_ready(output), error=error,
            tolerance_met=None if status is StepStatus.FAILED else met,
        )  # fmt: skip
        if phase is Phase.METHOD:
            recording.steps[activity.name] = StepTimes(activity.name, started, ended,
                                                       status.value, record.output)  # fmt: skip
        self._emit("step_finished", record)
        if activity.tolerance is not None:
            self._probe_evidence(scenario, phase, activity, record)
        if activity.pauses.after:
            self.sleep(activity.pauses.after)
        return record

    def _probe_evidence(
        self, scenario: str, phase: Phase, activity: Activity, record: StepRecord
    ) -> None:
        value = record.output if isinstance(record.output, int | float | str | bool) else None
        outcome = (
            Outcome.ERROR if record.status is StepStatus.FAILED
            else Outcome.PASS if record.tolerance_met else Outcome.FAIL
        )  # fmt: skip
        self._emit("evidence", Evidence(
            id=f"{scenario}/{phase.value}/{activity.name}", kind="probe", name=activity.name,
            dimensions=[], value=value, outcome=outcome,
            tolerance=describe_tolerance(activity.tolerance), detail=record.error or "",
            provenance=self.provenances.stamp(scenario, activity.name, record.activity,
                                              record.ended),
        ))  # fmt: skip

    def _measure(
        self, loaded: LoadedScenario, recording: Recording, invalid: str | None = None
    ) -> list[ExpectationResult]:
        """Every expectation measured; on an invalid run each is recorded as not available
        with the reason (its figure kept, for the record)."""
        results = []
        dimensions = [str(d) for d in loaded.extension.dimensions]
        for index, expectation in enumerate(loaded.extension.expectations):
            measure = MEASURES[expectation.measure]
            parameters = measure.parameters.model_validate(expectation.arguments)
            if not recording.ran(expectation.since):
                value, unit = None, ""
                detail = f"step '{expectation.since}' did not succeed, so nothing was measured"
            else:
                found = measure.compute(recording, recording.moment(expectation.since), parameters)
                value, unit, detail = found.value, found.unit, found.detail
            outcome = (
                Outcome.NOT_AVAILABLE if value is None or invalid
                else Outcome.PASS if expectation.holds(value) else Outcome.FAIL
            )  # fmt: skip
            if invalid:
                detail = f"invalid run: {invalid} (measured: {detail})"
            evidence_id = f"{loaded.name}/expectation/{index}"
            self._emit("evidence", Evidence(
                id=evidence_id, kind="expectation", name=expectation.name, dimensions=dimensions,
                value=value, unit=unit, outcome=outcome, tolerance=expectation.describe(),
                detail=detail, measure=expectation.measure,
                provenance=self.provenances.stamp(
                    loaded.name, expectation.since, self._source(measure.reads, expectation),
                    recording.ended,
                ),
            ))  # fmt: skip
            results.append(ExpectationResult(
                name=expectation.name, measure=expectation.measure, value=value, unit=unit,
                tolerance=expectation.describe(), outcome=outcome, detail=detail,
                evidence_id=evidence_id,
            ))  # fmt: skip
        return results

    def _source(self, reads: str, expectation: Any) -> str:
        if reads == "requests":
            return f"requests to {self.target.url('predict')}"
        if reads == "steps":
            return f"output of step '{expectation.arguments.get('step')}'"
        endpoints = [e for e in ("metrics", "monitor_metrics", "health") if self.target.has(e)]
        return "samples of " + ", ".join(self.target.url(e) for e in endpoints)


def _parameters(function: Callable[..., Any]) -> set[str]:
    import inspect

    return set(inspect.signature(function).parameters)


def _json_ready(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    return repr(value)


def _status(aborted: bool, expectations: list[ExpectationResult]) -> ScenarioStatus:
    if aborted:
        return ScenarioStatus.ABORTED
    outcomes = {e.outcome for e in expectations}
    if Outcome.FAIL in outcomes:
        return ScenarioStatus.FAILED
    if Outcome.NOT_AVAILABLE in outcomes:
        return ScenarioStatus.NOT_MEASURED
    return ScenarioStatus.PASSED
