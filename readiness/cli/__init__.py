"""The `readiness` command line: a leaf over every layer, one module per command group, each
a thin shell over a library function (`readiness.jobs`, `assessment`, `reports`, the
reference architectures). Commands import their layer inside the command, so `--help` and
the core commands never load what an extra brings.

Exit codes: 0 success, 1 a run-time failure or policy refusal, 2 bad input.
"""

import sys
from typing import Annotated

import typer

from readiness.cli import audit, monitor
from readiness.cli.assess import assess, gate
from readiness.cli.deployments import down, up
from readiness.cli.init import init
from readiness.cli.lifecycle import approve, promote, retrain, train
from readiness.cli.report import dashboard, report
from readiness.cli.run import demo, run

app = typer.Typer(
    name="readiness",
    help="Measured AI production readiness: train, deploy, inject, assess, gate.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
for command in (init, assess, gate, report, dashboard, train, approve, promote, up, down, run,
                demo):  # fmt: skip
    app.command()(command)
app.add_typer(audit.app, name="audit")
app.add_typer(monitor.app, name="monitor")
app.command()(retrain)


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
