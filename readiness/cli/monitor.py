"""`readiness monitor`: the monitors' findings, a window's drift report and the alerts."""

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from readiness.cli.audit import UrlOption, audit_url
from readiness.cli.shell import errors, fail, needs
from readiness.errors import ReadinessError
from readiness.libraries import quiet_libraries

app = typer.Typer(
    help="The monitors' findings: drift reports of their windows, and their alerts.",
    no_args_is_help=True,
)
ModelOption = Annotated[str, typer.Option("--model", help="Served model name.")]


@app.command("report")
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
    needs("reference", "readiness monitor report")
    needs("drift-report", "readiness monitor report")
    from reference.platform.monitoring.window_report import report_window

    quiet_libraries()
    try:
        with errors.status("rendering the drift report ..."):
            found = report_window(audit_url(url), model, window, output)
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


@app.command("alerts")
def monitor_alerts(
    model: Annotated[str | None, typer.Option("--model", help="Only this model.")] = None,
    url: UrlOption = None,
) -> None:
    """The alerts the monitors raised, newest first, with the actions they took."""
    needs("reference", "readiness monitor alerts")
    from reference.platform.monitoring.store import MonitorStore

    try:
        found = MonitorStore(audit_url(url)).alerts(model)
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
