"""A Rich progress display per scenario and step, as a run observer."""

from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from harness.events import RunObserver
from harness.recording import Recording
from harness.scenario import Activity, LoadedScenario
from readiness.bundle import Phase, ScenarioResult, StepRecord

STATUS_STYLE = {"passed": "green", "failed": "red", "not_measured": "yellow", "aborted": "red",
                "invalid": "red", "not_applicable": "dim"}  # fmt: skip


class RunProgress(RunObserver):
    def __init__(self, console: Console | None = None) -> None:
        self.progress = Progress(
            TextColumn("{task.fields[scenario]:<20}"), BarColumn(bar_width=20),
            MofNCompleteColumn(), TimeElapsedColumn(), TextColumn("{task.description}"),
            console=console or Console(stderr=True), transient=False,
        )  # fmt: skip
        self.tasks: dict[str, TaskID] = {}

    def __enter__(self) -> "RunProgress":
        self.progress.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.progress.stop()

    def scenario_started(self, scenario: LoadedScenario, seed: int) -> None:
        body = scenario.scenario
        probes = len(body.steady_state_hypothesis.probes) if body.steady_state_hypothesis else 0
        total = 2 * probes + len(body.method) + len(body.rollbacks)
        self.tasks[scenario.name] = self.progress.add_task(
            "starting", total=total, scenario=scenario.name
        )

    def step_started(self, scenario: str, phase: Phase, activity: Activity) -> None:
        pause = f" (then {activity.pauses.after:g} s)" if activity.pauses.after else ""
        self.progress.update(
            self.tasks[scenario], description=f"{phase.value}: {activity.name}{pause}"
        )

    def step_finished(self, record: StepRecord) -> None:
        self.progress.advance(self.tasks[record.scenario])
        if record.status != "succeeded" or record.tolerance_met is False:
            self.progress.console.print(
                f"  [yellow]{record.scenario}: {record.phase.value} '{record.step}' "
                f"{record.status.value}[/]: {record.error}", highlight=False,
            )  # fmt: skip

    def scenario_finished(self, result: ScenarioResult, recording: Recording) -> None:
        task = self.tasks[result.name]
        style = STATUS_STYLE.get(result.status.value, "white")
        self.progress.update(task, description=f"[{style}]{result.status.value}[/]",
                             completed=self.progress.tasks[task].total)  # fmt: skip
        if result.status.value in ("invalid", "not_applicable") and result.error:
            self.progress.console.print(f"  [{style}]{result.name}: {result.error}[/]",
                                        highlight=False)  # fmt: skip
