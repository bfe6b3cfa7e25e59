"""The progress display of the long CLI commands (`train`, `retrain`): a bar over named
steps and, beneath it, one over the epochs of whatever is training."""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn


class StepProgress:
    def __init__(self, progress: Progress, title: str, steps: Sequence[str]) -> None:
        self.progress, self.title, self.steps = progress, title, tuple(steps)
        self.current = self.steps[0]
        self.overall = progress.add_task(title, total=len(self.steps))
        self.epochs = progress.add_task("epochs", total=None, visible=False)

    def step(self, name: str) -> None:
        self.current = name
        self.progress.update(
            self.overall, completed=self.steps.index(name), description=f"{self.title}: {name}"
        )

    def detail(self, name: str) -> None:
        """A stage inside the current step (the lifecycle's stages inside a retraining's)."""
        self.progress.update(self.overall, description=f"{self.title}: {self.current} ({name})")

    def epoch(self, stage: str, done: int, total: int) -> None:
        self.progress.update(
            self.epochs, visible=True, completed=done, total=total, description=f"  {stage} epochs"
        )

    def finish(self) -> None:
        self.progress.update(
            self.overall, completed=len(self.steps), description=f"{self.title}: done"
        )


@contextmanager
def step_progress(
    console: Console, title: str, steps: Sequence[str], transient: bool
) -> Iterator[StepProgress]:
    """Shown on `console` (stderr) while the block runs; `transient` clears it after."""
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=transient,
    ) as progress:
        yield StepProgress(progress, title, steps)
