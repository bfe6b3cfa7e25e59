"""`readiness audit`: the audit trail's hash chains verified, pruned by retention policy and
exported for auditors."""

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from readiness.cli.shell import errors, fail, needs, os_user
from readiness.errors import InvalidInput, ReadinessError
from readiness.home import readiness_home

app = typer.Typer(
    help="The audit trail: verify its hash chains, prune by retention policy, export.",
    no_args_is_help=True,
)
UrlOption = Annotated[
    str | None, typer.Option("--url", help="Audit store URL (default: the home's audit.db).")
]


def audit_url(url: str | None) -> str:
    return url or readiness_home().audit_url


@app.command("verify")
def audit_verify(url: UrlOption = None) -> None:
    """Check every chain; exit 0 when intact, 1 naming the table and row where one breaks."""
    from readiness.audit.verify import verify

    try:
        report = verify(audit_url(url))
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


@app.command("prune")
def audit_prune(
    policy: Annotated[str, typer.Option(help="Retention policy: regulated or standard.")],
    now: Annotated[
        str | None, typer.Option(help="Prune as of this ISO 8601 time (default: now).")
    ] = None,
    by: Annotated[str, typer.Option("--by", help="Who prunes (recorded).")] = "",
    url: UrlOption = None,
) -> None:
    """Delete rows older than the policy keeps; the prune is itself logged and chained."""
    needs("reference", "readiness audit prune")
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
        report = prune(audit_url(url), chosen, by or os_user(), moment)
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


@app.command("export")
def audit_export(
    table: Annotated[str, typer.Argument(help="predictions, feedback, deployment_log, ...")],
    output: Annotated[Path, typer.Option("-o", "--output", help="File to write.")],
    format: Annotated[str, typer.Option("--format", help="jsonl or parquet.")] = "jsonl",
    url: UrlOption = None,
) -> None:
    """Write one audited table for auditors, in chain order, hashes included."""
    needs("reference", "readiness audit export")
    from reference.platform.audit.export import ExportFormat, export

    try:
        chosen = ExportFormat(format)
    except ValueError:
        raise fail(InvalidInput(f"--format must be jsonl or parquet, not '{format}'")) from None
    try:
        rows = export(audit_url(url), table, chosen, output)
    except ReadinessError as error:
        raise fail(error) from error
    errors.print(f"{table}: {rows:,} rows written to {output}", highlight=False)
