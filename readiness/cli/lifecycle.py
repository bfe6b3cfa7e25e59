"""The model's lifecycle on the reference platform: `train`, `approve`, `promote` and
`retrain`, thin shells over `reference.platform.model` and `reference.platform.retraining`."""

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from readiness.cli.progress import step_progress
from readiness.cli.shell import errors, fail, needs, os_user
from readiness.descriptor import load_descriptor
from readiness.errors import InvalidInput, ReadinessError
from readiness.home import readiness_home
from readiness.libraries import quiet_libraries

if TYPE_CHECKING:
    from reference.platform.retraining.outcome import RetrainingOutcome


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
    needs("reference", "readiness train")
    from reference.platform.model.lifecycle import STAGES, TrainOptions
    from reference.platform.model.lifecycle import train as run_training

    quiet_libraries()

    home = readiness_home()
    try:
        with step_progress(errors, "lifecycle", STAGES, transient=as_json) as shown:
            summary = run_training(
                home,
                TrainOptions(quick=quick, policy_path=policy, approver=approver),
                shown.step,
                shown.epoch,
            )
            shown.finish()
    except ReadinessError as error:
        raise fail(error) from error

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


def approve(
    model: Annotated[str, typer.Argument(help="Registered model name, e.g. adult-income.")],
    version: Annotated[str, typer.Argument(help="Registry version number.")],
    by: Annotated[str, typer.Option("--by", help="Who approves (recorded).")] = "",
    reason: Annotated[str, typer.Option(help="Why this version may serve (recorded).")] = "",
) -> None:
    """Record an approval (who, when, why); refused if the version broke its fairness policy."""
    needs("reference", "readiness approve")
    from reference.platform.model.registry import ModelRegistry

    quiet_libraries()
    try:
        approved = ModelRegistry(readiness_home().mlflow_tracking_uri).approve(
            model, version, by, reason
        )
    except ReadinessError as error:
        raise fail(error) from error
    Console().print(f"approved {model} version {version} ({approved.semver}) by {by}")


def promote(
    model: Annotated[str, typer.Argument(help="Registered model name, e.g. adult-income.")],
    version: Annotated[str, typer.Argument(help="Registry version number.")],
) -> None:
    """Make an approved version champion; the champion it replaces becomes `previous`."""
    needs("reference", "readiness promote")
    from reference.platform.model.registry import ModelRegistry

    quiet_libraries()
    try:
        promoted = ModelRegistry(readiness_home().mlflow_tracking_uri).promote(model, version)
    except ReadinessError as error:
        raise fail(error) from error
    Console().print(f"{model} version {version} ({promoted.semver}) is now champion")


def retrain(
    trigger: Annotated[
        str, typer.Option(help="What fired it: manual, schedule, performance or schema.")
    ] = "manual",
    evidence: Annotated[
        str, typer.Option(help="What fired it, in words (an alert and its value, ...).")
    ] = "",
    target: Annotated[
        Path | None,
        typer.Option(help="Target descriptor: shadow and promote through its admin API."),
    ] = None,
    quick: Annotated[bool, typer.Option("--quick", help="Train the challenger small.")] = False,
    policy: Annotated[
        Path | None, typer.Option(help="Retraining policy YAML (default: the shipped one).")
    ] = None,
    fairness_policy: Annotated[
        Path | None, typer.Option(help="Fairness policy YAML (default: the whitepaper's).")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON outcome on stdout.")
    ] = False,
) -> None:
    """Train a challenger, judge it against the champion offline (and in shadow with a
    target), promote it if as good and fair, else keep the champion and alert."""
    needs("reference", "readiness retrain")
    from reference.platform.model.lifecycle import TrainOptions
    from reference.platform.model.served import SERVED_MODEL
    from reference.platform.retraining.outcome import RetrainingSkipped
    from reference.platform.retraining.pipeline import STEPS
    from reference.platform.retraining.pipeline import retrain as run_retraining
    from reference.platform.retraining.policy import load_retraining_policy
    from reference.platform.retraining.triggers import TriggerKind, fire

    quiet_libraries()
    home = readiness_home()
    try:
        kind = TriggerKind(trigger)
    except ValueError:
        choices = ", ".join(k.value for k in TriggerKind)
        raise fail(InvalidInput(f"--trigger must be one of {choices}, not '{trigger}'")) from None
    try:
        rules = load_retraining_policy(policy)
        descriptor = load_descriptor(target) if target is not None else None
        if not evidence and kind is TriggerKind.MANUAL:
            evidence = f"requested by {os_user()}"
        fired = fire(home.ensure(), kind, evidence)
    except ReadinessError as error:
        raise fail(error) from error
    if fired is None:
        skipped = RetrainingSkipped(
            model=SERVED_MODEL, trigger=kind.value,
            skipped="the champion was trained on the feature schema in force (or there is "
            "no champion): nothing to retrain",
        )  # fmt: skip
        if as_json:
            sys.stdout.write(skipped.model_dump_json(indent=2) + "\n")
        else:
            errors.print(f"retrain: {skipped.skipped}", highlight=False)
        return

    try:
        with step_progress(errors, "retraining", STEPS, transient=as_json) as shown:
            outcome = run_retraining(
                home, fired, rules, TrainOptions(quick=quick, policy_path=fairness_policy),
                descriptor, on_step=shown.step, on_stage=shown.detail, on_progress=shown.epoch,
            )  # fmt: skip
            shown.finish()
    except ReadinessError as error:
        raise fail(error) from error

    if as_json:
        sys.stdout.write(outcome.model_dump_json(indent=2) + "\n")
        return
    _print_retraining(outcome)


def _print_retraining(outcome: "RetrainingOutcome") -> None:
    console = Console(highlight=False, soft_wrap=True)
    table = Table(title=f"readiness retrain ({outcome.trigger.kind}: {outcome.trigger.evidence})")
    for column in ("", "version", "accuracy", "AUC", f"fairness ({outcome.fairness_policy})"):
        table.add_column(column, justify="right" if column else "left")
    offline = outcome.offline
    for role, evaluation in (("champion", offline.champion), ("challenger", offline.challenger)):
        if evaluation is None:
            table.add_row(role, "none", "", "", "")
            continue
        table.add_row(
            role, f"{evaluation.version} ({evaluation.semver})", f"{evaluation.accuracy:.4f}",
            f"{evaluation.auc:.4f}", "passes" if evaluation.fairness.passed else "fails",
        )  # fmt: skip
    console.print(table)
    shadow = outcome.shadow
    if shadow is None:
        console.print("shadow: not run (no --target): the decision rests on offline evidence")
    else:
        agreement = "" if shadow.agreement is None else f", agreement {shadow.agreement:.1%}"
        console.print(f"shadow: {shadow.status} ({shadow.comparisons} comparisons{agreement})")
    if outcome.promoted_through is not None:
        console.print(
            f"decision: [bold green]promoted[/] version {outcome.challenger} "
            f"({outcome.challenger_semver}) through the {outcome.promoted_through}"
        )
    else:
        console.print(
            f"decision: [bold yellow]kept[/] champion {outcome.champion_after or 'none'}; "
            f"challenger {outcome.challenger} ({outcome.challenger_semver}) refused"
        )
    for reason in outcome.reasons:
        console.print(f"  - {reason}")
    if outcome.alert is not None:
        console.print(f"alert: {outcome.alert.action} {outcome.alert.detail}")
    console.print(f"MLflow run {outcome.retraining_run_id} ({outcome.seconds:.0f} s)")
