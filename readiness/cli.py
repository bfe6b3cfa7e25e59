"""The `readiness` command line: a thin shell over the library's composition roots.

Exit codes: 0 success, 1 a run-time failure or policy refusal, 2 bad input.
"""

import logging
import sys
import warnings
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from readiness.errors import InvalidInput, ReadinessError
from readiness.home import readiness_home

app = typer.Typer(
    name="readiness",
    help="Measured AI production readiness: train, deploy, inject, assess, gate.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
errors = Console(stderr=True)


def fail(error: ReadinessError) -> typer.Exit:
    errors.print(f"[bold red]error:[/] {error}", highlight=False, soft_wrap=True)
    return typer.Exit(2 if isinstance(error, InvalidInput) else 1)


@app.callback()
def main() -> None:
    """readiness: prove an AI system is ready for production, from evidence."""


def quiet_libraries() -> None:
    """Libraries' deprecation notices and info logs are for their developers, not our users.
    Called after the libraries are imported: MLflow sets its own log level on import."""
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    for name in ("mlflow", "alembic", "feast", "torch.onnx"):
        logging.getLogger(name).setLevel(logging.WARNING)


@app.command()
def train(
    quick: Annotated[
        bool, typer.Option("--quick", help="Small sizes: done in under 2 minutes.")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON summary on stdout.")
    ] = False,
    policy: Annotated[
        Path | None, typer.Option(help="Fairness policy YAML (default: the whitepaper's).")
    ] = None,
    approver: Annotated[
        str, typer.Option(help="Who approves a version that passes its gates.")
    ] = "",
) -> None:
    """Train teacher and student, distil, export ONNX, quantise INT8, evaluate, register."""
    from reference.platform.lifecycle import STAGES, TrainOptions
    from reference.platform.lifecycle import train as run_training

    quiet_libraries()

    home = readiness_home()
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=errors,
        transient=as_json,
    ) as progress:
        overall = progress.add_task("lifecycle", total=len(STAGES))
        epochs = progress.add_task("epochs", total=None, visible=False)

        def on_stage(name: str) -> None:
            progress.update(overall, completed=STAGES.index(name), description=f"lifecycle: {name}")

        def on_progress(stage: str, done: int, total: int) -> None:
            progress.update(
                epochs, visible=True, completed=done, total=total, description=f"  {stage} epochs"
            )

        try:
            summary = run_training(
                home,
                TrainOptions(quick=quick, policy_path=policy, approver=approver),
                on_stage,
                on_progress,
            )
        except ReadinessError as error:
            progress.stop()
            raise fail(error) from error
        progress.update(overall, completed=len(STAGES), description="lifecycle: done")

    if as_json:
        sys.stdout.write(summary.model_dump_json(indent=2) + "\n")
        return
    console = Console()
    table = Table(title=f"readiness train ({'quick' if quick else 'full'}, {summary.device})")
    table.add_column("variant", no_wrap=True)
    for column in ("accuracy", "AUC", "params", "MACs", "rows/s b256", "p50 µs b1"):
        table.add_column(column, justify="right")
    for name in ("teacher", "student", "student_int8", "student_int8_dynamic"):
        m = getattr(summary, name)
        table.add_row(
            name,
            f"{m.accuracy:.4f}",
            f"{m.auc:.4f}",
            f"{m.parameters:,}",
            f"{m.macs:,}",
            f"{m.throughput_b256:,.0f}",
            f"{m.p50_us_b1:,.0f}",
        )
    console.print(table)
    console.print(
        f"retention: accuracy {summary.retention.accuracy:.1%}, AUC {summary.retention.auc:.1%}; "
        f"cost ratio (teacher/student INT8) {summary.cost_ratio:.1f}x; "
        f"INT8 speed-up {summary.int8_speedup:.2f}x"
    )
    reg = summary.registry
    console.print(
        f"registered {reg.model} version {reg.registered_version} ({reg.semver}); "
        f"champion: {reg.champion_version or 'none'}"
    )
    if reg.refusal:
        console.print(f"[yellow]approval refused:[/] {reg.refusal}", highlight=False)


@app.command()
def approve(
    model: Annotated[str, typer.Argument(help="Registered model name, e.g. adult-income.")],
    version: Annotated[str, typer.Argument(help="Registry version number.")],
    by: Annotated[str, typer.Option("--by", help="Who approves (recorded).")] = "",
    reason: Annotated[str, typer.Option(help="Why this version may serve (recorded).")] = "",
) -> None:
    """Record an approval (who, when, why); refused if the version broke its fairness policy."""
    from reference.platform.registry import ModelRegistry

    quiet_libraries()
    try:
        approved = ModelRegistry(readiness_home().mlflow_tracking_uri).approve(
            model, version, by, reason
        )
    except ReadinessError as error:
        raise fail(error) from error
    Console().print(f"approved {model} version {version} ({approved.semver}) by {by}")


@app.command()
def promote(
    model: Annotated[str, typer.Argument(help="Registered model name, e.g. adult-income.")],
    version: Annotated[str, typer.Argument(help="Registry version number.")],
) -> None:
    """Make an approved version champion; the champion it replaces becomes `previous`."""
    from reference.platform.registry import ModelRegistry

    quiet_libraries()
    try:
        promoted = ModelRegistry(readiness_home().mlflow_tracking_uri).promote(model, version)
    except ReadinessError as error:
        raise fail(error) from error
    Console().print(f"{model} version {version} ({promoted.semver}) is now champion")


ARCHITECTURES = ("microservice", "event-driven", "edge")


def _architecture(name: str) -> str:
    if name not in ARCHITECTURES:
        raise fail(InvalidInput(f"ARCH must be one of {', '.join(ARCHITECTURES)}, not '{name}'"))
    if name != "microservice":
        raise fail(InvalidInput(f"the {name} architecture is not available yet"))
    return name


@app.command()
def up(
    arch: Annotated[str, typer.Argument(help="microservice, event-driven or edge.")],
    profile: Annotated[str, typer.Option(help="production or prototype.")] = "production",
    alias: Annotated[str, typer.Option(help="Registry alias to serve (production).")] = "champion",
    faults: Annotated[
        bool, typer.Option("--faults", help="Enable the harness's fault hooks (production).")
    ] = False,
) -> None:
    """Start a reference deployment locally and print the path of its target descriptor."""
    _architecture(arch)
    from reference.microservice.deployment import up as start
    from reference.microservice.service import Profile

    quiet_libraries()
    try:
        chosen = Profile(profile)
    except ValueError:
        raise fail(
            InvalidInput(f"--profile must be production or prototype, not '{profile}'")
        ) from None
    try:
        with errors.status(f"starting {arch} ({chosen.value}) ..."):
            descriptor = start(readiness_home(), chosen, alias, faults=faults)
    except ReadinessError as error:
        raise fail(error) from error
    sys.stdout.write(f"{descriptor}\n")


@app.command()
def down(arch: Annotated[str, typer.Argument(help="microservice, event-driven or edge.")]) -> None:
    """Stop a reference deployment started by `readiness up`."""
    _architecture(arch)
    from reference.microservice.deployment import down as stop

    stopped = stop(readiness_home())
    errors.print(f"{arch}: {'stopped' if stopped else 'was not running'}")
