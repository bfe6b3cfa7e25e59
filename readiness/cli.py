"""The `readiness` command line: a thin shell over the library's composition roots.

Exit codes: 0 success, 1 a run-time failure or policy refusal, 2 bad input.
"""

import logging
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from readiness.assess_cli import assess, assess_bundle, gate, scorecard_table
from readiness.console import errors, fail
from readiness.descriptor import ARCHITECTURES, load_descriptor
from readiness.errors import InvalidInput, ReadinessError
from readiness.home import readiness_home
from readiness.init_cli import init
from readiness.progress import step_progress
from readiness.report_cli import dashboard, report

if TYPE_CHECKING:
    from assessment.result import Assessment
    from harness.scenario import LoadedScenario
    from reference.platform.retraining.outcome import RetrainingOutcome

app = typer.Typer(
    name="readiness",
    help="Measured AI production readiness: train, deploy, inject, assess, gate.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
WithoutOption = Annotated[
    list[str] | None,
    typer.Option("--without", help="Switch a production feature off (repeat): auth, rate-limit, "
                 "validation, cache, metrics, audit, explain, monitoring, batching, rollback."),
]  # fmt: skip
app.command()(init)
app.command()(assess)
app.command()(gate)
app.command()(report)
app.command()(dashboard)


def _print_version(asked: bool) -> None:
    if asked:
        from readiness import __version__

        sys.stdout.write(f"readiness {__version__}\n")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option("--version", is_eager=True, callback=_print_version,
                     help="Print the version and exit."),
    ] = False,
) -> None:  # fmt: skip
    """readiness: prove an AI system is ready for production, from evidence."""


def _needs(extra: str, command: str) -> None:
    """Exit 2 saying which extra to install when `command` needs one that is absent."""
    from readiness.errors import MissingExtra
    from readiness.extras import require

    try:
        require(extra, command)
    except MissingExtra as error:
        raise fail(error) from error


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
    _needs("reference", "readiness train")
    from reference.platform.lifecycle import STAGES, TrainOptions
    from reference.platform.lifecycle import train as run_training

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


@app.command()
def approve(
    model: Annotated[str, typer.Argument(help="Registered model name, e.g. adult-income.")],
    version: Annotated[str, typer.Argument(help="Registry version number.")],
    by: Annotated[str, typer.Option("--by", help="Who approves (recorded).")] = "",
    reason: Annotated[str, typer.Option(help="Why this version may serve (recorded).")] = "",
) -> None:
    """Record an approval (who, when, why); refused if the version broke its fairness policy."""
    _needs("reference", "readiness approve")
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
    _needs("reference", "readiness promote")
    from reference.platform.registry import ModelRegistry

    quiet_libraries()
    try:
        promoted = ModelRegistry(readiness_home().mlflow_tracking_uri).promote(model, version)
    except ReadinessError as error:
        raise fail(error) from error
    Console().print(f"{model} version {version} ({promoted.semver}) is now champion")


def _architecture(name: str) -> str:
    if name not in ARCHITECTURES:
        raise fail(InvalidInput(f"ARCH must be one of {', '.join(ARCHITECTURES)}, not '{name}'"))
    if name not in AVAILABLE:
        raise fail(InvalidInput(f"the {name} architecture is not available yet"))
    return name


AVAILABLE = ("microservice", "event-driven", "edge")


def _up_event_driven(profile: str, faults: bool, without: list[str] | None,
                     monitor_config: Path | None) -> Path:  # fmt: skip
    from reference.event_driven.deployment import up as start

    if without:
        raise InvalidInput("--without is not available for the event-driven architecture yet")
    return start(readiness_home(), profile, monitor_config=monitor_config, faults=faults)


def _up_edge(profile: str, faults: bool, without: list[str] | None,
             monitor_config: Path | None) -> Path:  # fmt: skip
    from reference.edge.deployment import up as start

    if without:
        raise InvalidInput("--without is not available for the edge architecture yet")
    return start(readiness_home(), profile, monitor_config=monitor_config, faults=faults)


@app.command()
def up(
    arch: Annotated[str, typer.Argument(help="microservice, event-driven or edge.")],
    profile: Annotated[str, typer.Option(help="production or prototype.")] = "production",
    alias: Annotated[str, typer.Option(help="Registry alias to serve (production).")] = "champion",
    faults: Annotated[
        bool, typer.Option("--faults", help="Enable the harness's fault hooks (production).")
    ] = False,
    monitor_config: Annotated[
        Path | None,
        typer.Option("--monitor-config", help="Monitor windows and schedules (production)."),
    ] = None,
    without: WithoutOption = None,
) -> None:
    """Start a reference deployment locally and print the path of its target descriptor."""
    _needs("reference", "readiness up")
    _architecture(arch)
    if arch in ("event-driven", "edge"):
        starter = _up_event_driven if arch == "event-driven" else _up_edge
        try:
            with errors.status(f"starting {arch} ({profile}) ..."):
                descriptor = starter(profile, faults, without, monitor_config)
        except ReadinessError as error:
            raise fail(error) from error
        sys.stdout.write(f"{descriptor}\n")
        return
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
            descriptor = start(
                readiness_home(), chosen, alias, faults=faults, monitor_config=monitor_config,
                without=frozenset(without or ()),
            )  # fmt: skip
    except ReadinessError as error:
        raise fail(error) from error
    sys.stdout.write(f"{descriptor}\n")


@app.command()
def down(arch: Annotated[str, typer.Argument(help="microservice, event-driven or edge.")]) -> None:
    """Stop a reference deployment started by `readiness up`."""
    _needs("reference", "readiness down")
    _architecture(arch)
    if arch == "event-driven":
        from reference.event_driven.deployment import down as stop
    elif arch == "edge":
        from reference.edge.deployment import down as stop
    else:
        from reference.microservice.deployment import down as stop

    stopped = stop(readiness_home())
    errors.print(f"{arch}: {'stopped' if stopped else 'was not running'}")


@app.command()
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

    from harness import default_scenarios
    from harness.deploy import deployed
    from harness.scenario import load_scenario

    if profile not in ("production", "prototype"):
        raise fail(InvalidInput(f"--profile must be production or prototype, not '{profile}'"))
    if no_scenarios and scenario:
        raise fail(InvalidInput("--no-scenarios and --scenario exclude each other"))
    descriptor_file = Path(target)
    if target not in ARCHITECTURES and not descriptor_file.is_file():
        raise fail(InvalidInput(f"TARGET: '{target}' is neither an architecture "
                                f"({', '.join(ARCHITECTURES)}) nor a descriptor file"))  # fmt: skip
    if out is not None:
        from harness.bundle import refuse_existing_bundle

        try:
            refuse_existing_bundle(out)
        except ReadinessError as error:
            raise fail(error) from error
    names = [] if no_scenarios else scenario or list(default_scenarios(_pattern(target)))
    try:
        scenarios = [load_scenario(name) for name in names]
    except ReadinessError as error:
        from harness.bundle import write_refusal

        folder = out or _new_run_folder(Path(target).stem)
        write_refusal(folder, "invalid-scenarios", [str(error)], names)
        errors.print(f"bundle: {folder}", highlight=False)
        raise fail(error) from error
    if target in ARCHITECTURES:
        _needs("reference", f"readiness run {target}")
    with ExitStack() as deployment:
        descriptor = descriptor_file
        if target in ARCHITECTURES:
            try:
                with errors.status(f"starting {target} ({profile}) ..."):
                    descriptor = deployment.enter_context(
                        deployed(target, profile, tuple(without or ()))
                    )
            except ReadinessError as error:
                raise fail(error) from error
        _run_scenarios(descriptor, scenarios, out, seed)


def _pattern(target: str) -> str:
    """The pattern of an architecture, or of the system a descriptor file describes."""
    if target in ARCHITECTURES:
        return DEMONSTRATED[target]
    try:
        return str(load_descriptor(Path(target)).pattern)
    except ReadinessError as error:
        raise fail(error) from error


def _new_run_folder(name: str) -> Path:
    """A fresh bundle folder under READINESS_HOME/runs, named by time and target."""
    from harness.bundle import new_run_id

    return readiness_home().ensure().runs / new_run_id(name)


def _run_scenarios(
    descriptor: Path, scenarios: "list[LoadedScenario]", out: Path | None, seed: int
) -> "Assessment":
    """Run, print the scenarios' table and the scorecard, print the bundle path on stdout;
    the assessment written into the bundle."""
    from assessment.collectors.declarations import validate_declarations
    from harness.environment import Environment
    from harness.progress import RunProgress
    from harness.target import Target

    try:
        target = Target.from_file(descriptor)
        validate_declarations(target.descriptor, descriptor.parent)
    except ReadinessError as error:
        raise fail(error) from error
    folder = out or _new_run_folder(target.descriptor.name)
    with RunProgress(errors) as progress:
        environment = Environment(target, folder, seed=seed, observers=[progress])
        try:
            outcome = environment.run(scenarios)
        except ReadinessError as error:
            errors.print(f"bundle: {folder}", highlight=False)
            raise fail(error) from error
    table = Table(title=f"{target.descriptor.name}: scenarios")
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
    errors.print(table)
    try:
        assessment = assess_bundle(folder, target, seed)
    except ReadinessError as error:
        errors.print(f"bundle: {folder}", highlight=False)
        raise fail(error) from error
    errors.print(scorecard_table(assessment, title=f"{target.descriptor.name}: readiness"))
    sys.stdout.write(f"{outcome.bundle}\n")
    return assessment


@app.command()
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
    _needs("reference", "readiness demo")
    from harness import default_scenarios
    from harness.deploy import deployed
    from harness.scenario import load_scenario
    from reference.platform.fairness import USE_CASE_POLICY

    chosen = architecture or list(DEMONSTRATED)
    for name in chosen:
        if name not in DEMONSTRATED:
            raise fail(InvalidInput(f"--architecture: '{name}' is not one of "
                                    f"{', '.join(DEMONSTRATED)}"))  # fmt: skip
    home = readiness_home().ensure()
    size = ["--quick"] if quick else []
    policy = ["--policy", str(USE_CASE_POLICY)]
    champion, others = _approved_versions(home.mlflow_tracking_uri)
    if champion is None:
        errors.print("no champion in the registry: training one first")
        _readiness_step(["train", *policy, *size])
        champion, others = _approved_versions(home.mlflow_tracking_uri)
    if champion is not None and not others:
        errors.print("the champion is the only approved version: retraining once, so that a "
                     "previous release is there to roll back to")  # fmt: skip
        _readiness_step(["retrain", "--trigger", "schedule", "--fairness-policy",
                         str(USE_CASE_POLICY), "--evidence", "readiness demo: a second "
                         "release", *size])  # fmt: skip
    results: dict[str, tuple[Assessment, Assessment]] = {}
    for name in chosen:
        scenarios = [load_scenario(s) for s in default_scenarios(DEMONSTRATED[name])]
        assessments = []
        for profile in ("production", "prototype"):
            errors.rule(f"{name}, {profile}")
            try:
                with deployed(name, profile) as descriptor:
                    assessments.append(_run_scenarios(descriptor, scenarios, None, seed))
            except ReadinessError as error:
                raise fail(error) from error
        results[name] = (assessments[0], assessments[1])
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


DEMONSTRATED = {"microservice": "real-time", "event-driven": "streaming", "edge": "edge"}
"""The architectures `readiness demo` runs, and their patterns."""


def _readiness_step(arguments: list[str]) -> None:
    import subprocess

    finished = subprocess.run([sys.executable, "-m", "readiness", *arguments], check=False)
    if finished.returncode != 0:
        raise typer.Exit(finished.returncode)


def _approved_versions(tracking_uri: str) -> tuple[str | None, list[str]]:
    """(the champion's version, the other approved versions) of the served model."""
    from reference.platform.lifecycle import SERVED_MODEL
    from reference.platform.registry import APPROVED_BY, ModelRegistry

    quiet_libraries()
    registry = ModelRegistry(tracking_uri)
    champion = registry.champion(SERVED_MODEL)
    if champion is None:
        return None, []
    found = registry.client.search_model_versions(f"name = '{SERVED_MODEL}'")
    others = [str(v.version) for v in found if APPROVED_BY in v.tags]
    return champion.version, [version for version in others if version != champion.version]


audit = typer.Typer(
    help="The audit trail: verify its hash chains, prune by retention policy, export.",
    no_args_is_help=True,
)
app.add_typer(audit, name="audit")
UrlOption = Annotated[
    str | None, typer.Option("--url", help="Audit store URL (default: the home's audit.db).")
]


def _audit_url(url: str | None) -> str:
    return url or readiness_home().audit_url


@audit.command("verify")
def audit_verify(url: UrlOption = None) -> None:
    """Check every chain; exit 0 when intact, 1 naming the table and row where one breaks."""
    from readiness.audit.verify import verify

    try:
        report = verify(_audit_url(url))
    except ReadinessError as error:
        raise fail(error) from error
    console = Console(highlight=False, soft_wrap=True)
    for verdict in report.tables:
        if verdict.ok:
            head = f"; head {verdict.last_seq} {verdict.last_hash}" if verdict.last_hash else ""
            console.print(f"{verdict.table}: {verdict.rows_checked:,} rows intact{head}")
        else:
            console.print(
                f"[bold red]{verdict.table}: {verdict.breach} at row "
                f"{verdict.first_broken_seq}[/]: {verdict.reason}"
            )
    if not report.ok:
        errors.print(f"[bold red]tampering found in {report.store}[/]", highlight=False)
        raise typer.Exit(1)
    console.print(f"{report.store}: every chain verifies")


@audit.command("prune")
def audit_prune(
    policy: Annotated[str, typer.Option(help="Retention policy: regulated or standard.")],
    now: Annotated[
        str | None, typer.Option(help="Prune as of this ISO 8601 time (default: now).")
    ] = None,
    by: Annotated[str, typer.Option("--by", help="Who prunes (recorded).")] = "",
    url: UrlOption = None,
) -> None:
    """Delete rows older than the policy keeps; the prune is itself logged and chained."""
    _needs("reference", "readiness audit prune")
    from datetime import UTC, datetime

    from reference.platform.audit.retention import prune, retention_policy

    moment: datetime | None = None
    if now is not None:
        try:
            moment = datetime.fromisoformat(now)
        except ValueError:
            raise fail(InvalidInput(f"--now must be an ISO 8601 time, not '{now}'")) from None
        moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    try:
        chosen = retention_policy(policy)
        report = prune(_audit_url(url), chosen, by or _os_user(), moment)
    except ReadinessError as error:
        raise fail(error) from error
    console = Console(highlight=False, soft_wrap=True)
    for table, pruned in report.tables.items():
        console.print(f"{table}: {pruned.deleted:,} rows deleted; chain starts after row "
                      f"{pruned.base_seq}")  # fmt: skip
    console.print(
        f"pruned under '{report.policy}' ({chosen.years} years, before "
        f"{report.cutoff.isoformat()}) by {report.by}; recorded as audit event {report.event_seq}"
    )


@audit.command("export")
def audit_export(
    table: Annotated[str, typer.Argument(help="predictions, feedback, deployment_log, ...")],
    output: Annotated[Path, typer.Option("-o", "--output", help="File to write.")],
    format: Annotated[str, typer.Option("--format", help="jsonl or parquet.")] = "jsonl",
    url: UrlOption = None,
) -> None:
    """Write one audited table for auditors, in chain order, hashes included."""
    _needs("reference", "readiness audit export")
    from reference.platform.audit.export import ExportFormat, export

    try:
        chosen = ExportFormat(format)
    except ValueError:
        raise fail(InvalidInput(f"--format must be jsonl or parquet, not '{format}'")) from None
    try:
        rows = export(_audit_url(url), table, chosen, output)
    except ReadinessError as error:
        raise fail(error) from error
    errors.print(f"{table}: {rows:,} rows written to {output}", highlight=False)


monitor = typer.Typer(
    help="The monitors' findings: drift reports of their windows, and their alerts.",
    no_args_is_help=True,
)
app.add_typer(monitor, name="monitor")
ModelOption = Annotated[str, typer.Option("--model", help="Served model name.")]


@monitor.command("report")
def monitor_report(
    output: Annotated[Path, typer.Option("-o", "--output", help="HTML file to write.")] = Path(
        "drift-report.html"
    ),
    window: Annotated[
        int | None, typer.Option("--window", help="Window id (default: the latest).")
    ] = None,
    model: ModelOption = "adult-income",
    url: UrlOption = None,
) -> None:
    """Render the Evidently drift report of a monitor window against the training rows."""
    _needs("reference", "readiness monitor report")
    _needs("drift-report", "readiness monitor report")
    from reference.platform.monitoring.window_report import report_window

    quiet_libraries()
    try:
        with errors.status("rendering the drift report ..."):
            found = report_window(_audit_url(url), model, window, output)
    except ReadinessError as error:
        raise fail(error) from error
    console = Console(highlight=False, soft_wrap=True)
    table = Table(title=f"{model} version {found.version}, window {found.window_id}: "
                        f"{found.report.current_rows:,} logged predictions")  # fmt: skip
    for column in ("feature", "PSI (monitor, training bins)", "PSI (Evidently)"):
        table.add_column(column, justify="left" if column == "feature" else "right")
    for feature, value in sorted(found.monitor_psi.items(), key=lambda item: -item[1]):
        evidently = found.report.psi.get(feature)
        table.add_row(feature, f"{value:.3f}", "" if evidently is None else f"{evidently:.3f}")
    console.print(table)
    console.print(f"report: {found.report.path}")


@monitor.command("alerts")
def monitor_alerts(
    model: Annotated[str | None, typer.Option("--model", help="Only this model.")] = None,
    url: UrlOption = None,
) -> None:
    """The alerts the monitors raised, newest first, with the actions they took."""
    _needs("reference", "readiness monitor alerts")
    from reference.platform.monitoring.store import MonitorStore

    try:
        found = MonitorStore(_audit_url(url)).alerts(model)
    except ReadinessError as error:
        raise fail(error) from error
    console = Console(highlight=False, soft_wrap=True)
    console.print(f"{len(found)} alerts, newest first")
    for alert in sorted(found, key=lambda a: a.fired_at, reverse=True):
        actions = ", ".join(f"{a.action}{'' if a.ok else ' (failed)'}" for a in alert.actions)
        console.print(
            f"{alert.fired_at:%Y-%m-%d %H:%M:%S} {alert.severity:<8} {alert.rule} "
            f"({alert.model} version {alert.version}, value {alert.value:.4g}) {alert.state}"
            f"{' (inhibited)' if alert.inhibited else ''}; actions: {actions or 'none'}; "
            f"runbook {alert.runbook}"
        )


def _os_user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


@app.command()
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
    _needs("reference", "readiness retrain")
    from reference.platform.lifecycle import SERVED_MODEL, TrainOptions
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
            evidence = f"requested by {_os_user()}"
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
