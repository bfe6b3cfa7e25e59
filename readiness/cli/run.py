"""`readiness run` and `readiness demo`: scenarios run against a target, its bundle
assessed and the scorecard printed; the work itself is `readiness.jobs`'s."""

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from readiness.cli.assess import scorecard_table
from readiness.cli.shell import WithoutOption, errors, fail, needs
from readiness.descriptor import ARCHITECTURES, load_descriptor
from readiness.errors import InvalidInput, ReadinessError
from readiness.home import readiness_home
from readiness.jobs import DEMONSTRATED, assess_bundle, new_run_folder, open_target, run_scenarios
from reference.platform.deploy.profile import profile_of

if TYPE_CHECKING:
    from assessment.result import Assessment
    from harness.environment import RunOutcome
    from harness.scenario import LoadedScenario


def run(
    target: Annotated[
        str,
        typer.Argument(
            help="An ARCH to deploy for the run, or a target descriptor file of a running system."
        ),
    ],
    profile: Annotated[str, typer.Option(help="production or prototype (with an ARCH).")] = (
        "production"
    ),
    scenario: Annotated[
        list[str] | None,
        typer.Option(
            "--scenario",
            "-s",
            help="A shipped scenario name or a scenario file; "
            "repeat for several (default: the default set of the target's pattern).",
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Bundle folder (default: under READINESS_HOME/runs).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the scenarios' traffic.")] = 0,
    no_scenarios: Annotated[
        bool,
        typer.Option(
            "--no-scenarios",
            help="Only collect live evidence and assess: fast, "
            "but no dimension can reach the levels that scenarios prove.",
        ),
    ] = False,
    without: WithoutOption = None,
) -> None:
    """Run scenarios against a target and write an evidence bundle; print its path.

    Exit 0 when every scenario ran (whatever their results: the gate judges them), 1 when
    the target did not answer or the run broke off, 2 for bad input."""
    from contextlib import ExitStack

    from harness.deploy import deployed

    _check_arguments(target, profile, scenario, out, no_scenarios)
    scenarios = _load_scenarios(target, scenario, out, no_scenarios)
    if target in ARCHITECTURES:
        needs("reference", f"readiness run {target}")
    with ExitStack() as deployment:
        descriptor = Path(target)
        if target in ARCHITECTURES:
            try:
                with errors.status(f"starting {target} ({profile}) ..."):
                    descriptor = deployment.enter_context(
                        deployed(target, profile, tuple(without or ()))
                    )
            except ReadinessError as error:
                raise fail(error) from error
        _run_scenarios(descriptor, scenarios, out, seed)


def _check_arguments(
    target: str, profile: str, scenario: list[str] | None, out: Path | None, no_scenarios: bool
) -> None:
    """Refuses, before anything starts, what cannot run: an unknown profile, exclusive
    options, a target that is neither an architecture nor a file, a bundle folder in use."""
    try:
        profile_of(profile)
    except ReadinessError as error:
        raise fail(error) from error
    if no_scenarios and scenario:
        raise fail(InvalidInput("--no-scenarios and --scenario exclude each other"))
    if target not in ARCHITECTURES and not Path(target).is_file():
        raise fail(InvalidInput(f"TARGET: '{target}' is neither an architecture "
                                f"({', '.join(ARCHITECTURES)}) nor a descriptor file"))  # fmt: skip
    if out is not None:
        from harness.bundle import refuse_existing_bundle

        try:
            refuse_existing_bundle(out)
        except ReadinessError as error:
            raise fail(error) from error


def _load_scenarios(
    target: str, scenario: list[str] | None, out: Path | None, no_scenarios: bool
) -> "list[LoadedScenario]":
    """The scenarios named (or the default set of the target's pattern); one that does not
    load leaves a refusal bundle saying why, so a CI run has something to show."""
    from harness import default_scenarios
    from harness.scenario import load_scenario

    names = [] if no_scenarios else scenario or list(default_scenarios(_pattern(target)))
    try:
        return [load_scenario(name) for name in names]
    except ReadinessError as error:
        from harness.bundle import write_refusal

        folder = out or new_run_folder(readiness_home(), Path(target).stem)
        write_refusal(folder, "invalid-scenarios", [str(error)], names)
        errors.print(f"bundle: {folder}", highlight=False)
        raise fail(error) from error


def _pattern(target: str) -> str:
    """The pattern of an architecture, or of the system a descriptor file describes."""
    if target in ARCHITECTURES:
        return DEMONSTRATED[target]
    try:
        return str(load_descriptor(Path(target)).pattern)
    except ReadinessError as error:
        raise fail(error) from error


def scenario_table(name: str, outcome: "RunOutcome") -> Table:
    table = Table(title=f"{name}: scenarios")
    for column in ("scenario", "status", "expectation", "measured", "tolerance"):
        table.add_column(column)
    for result in outcome.results:
        for expectation in result.expectations or []:
            measured = (
                "-" if expectation.value is None else f"{expectation.value:.4g} {expectation.unit}"
            )
            table.add_row(result.name, result.status.value, expectation.name, measured,
                          expectation.tolerance)  # fmt: skip
        if not result.expectations:
            table.add_row(result.name, result.status.value, result.error or "", "", "")
    return table


def _run_scenarios(
    descriptor: Path, scenarios: "list[LoadedScenario]", out: Path | None, seed: int
) -> "Assessment":
    """Run, print the scenarios' table and the scorecard, print the bundle path on stdout;
    the assessment written into the bundle."""
    from harness.progress import RunProgress

    try:
        target = open_target(descriptor)
    except ReadinessError as error:
        raise fail(error) from error
    name = target.descriptor.name
    folder = out or new_run_folder(readiness_home(), name)
    try:
        with RunProgress(errors) as progress:
            outcome = run_scenarios(target, folder, scenarios, seed, [progress])
        errors.print(scenario_table(name, outcome))
        with errors.status("collecting evidence ...") as status:
            assessment = assess_bundle(
                folder, target, seed, lambda fact: status.update(f"collecting: {fact} ...")
            )
    except ReadinessError as error:
        errors.print(f"bundle: {folder}", highlight=False)
        raise fail(error) from error
    errors.print(scorecard_table(assessment, title=f"{name}: readiness"))
    sys.stdout.write(f"{outcome.bundle}\n")
    return assessment


def demo(
    quick: Annotated[
        bool, typer.Option("--quick", help="Train small models if training is needed.")
    ] = False,
    seed: Annotated[int, typer.Option(help="Seed of the scenarios' traffic.")] = 0,
    architecture: Annotated[
        list[str] | None,
        typer.Option(
            "--architecture",
            "-a",
            help="Run only this architecture (repeat for several; default: "
            "microservice, event-driven and edge).",
        ),
    ] = None,
) -> None:
    """Train if needed (and retrain once, so a previous release exists to roll back to),
    run each reference architecture in both profiles through its pattern's default
    scenarios, assess them and print the scorecards side by side (about 50 minutes on 2
    cores for the three architectures)."""
    needs("reference", "readiness demo")
    from readiness.jobs import demo as run_demo

    chosen = architecture or list(DEMONSTRATED)
    for name in chosen:
        if name not in DEMONSTRATED:
            raise fail(InvalidInput(f"--architecture: '{name}' is not one of "
                                    f"{', '.join(DEMONSTRATED)}"))  # fmt: skip
    try:
        results = run_demo(
            readiness_home(), chosen, lambda descriptor, scenarios, seed:
            _run_scenarios(descriptor, scenarios, None, seed), seed=seed, quick=quick,
            say=errors.print, starting=lambda name, profile: errors.rule(f"{name}, {profile}"),
        )  # fmt: skip
    except ReadinessError as error:
        raise fail(error) from error
    errors.rule("readiness demo")
    for name, (production, prototype) in results.items():
        errors.print(scorecard_table(production, prototype, title=f"{name}: production vs "
                                     "prototype"))  # fmt: skip
        for gap in [d for d in production.dimensions if d.score < d.target]:
            errors.print(f"{name} production gap: {gap.title} {gap.score}/{gap.target}: "
                         f"{gap.explanation}", highlight=False)  # fmt: skip
        errors.print(f"{name} prototype: {prototype.total}/50 (the framework expects a "
                     f"prototype at no more than 20)", highlight=False)  # fmt: skip
    errors.print("scores, evidence, scenario timelines and the roadmap: readiness dashboard; "
                 "a report for people: readiness report BUNDLE -f html|pdf")  # fmt: skip
