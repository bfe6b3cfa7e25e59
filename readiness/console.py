"""The CLI's stderr console and its one way of failing: print the error, exit 2 for bad
input and 1 for everything else."""

import typer
from rich.console import Console
from rich.markup import escape

from readiness.errors import InvalidInput, ReadinessError

errors = Console(stderr=True)


def fail(error: ReadinessError) -> typer.Exit:
    errors.print(f"[bold red]error:[/] {escape(str(error))}", highlight=False, soft_wrap=True)
    return typer.Exit(2 if isinstance(error, InvalidInput) else 1)
