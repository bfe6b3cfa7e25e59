"""What every command shares: the stderr console, the one way of failing (print the error,
exit 2 for bad input and 1 for everything else), and the check that an extra is installed."""

from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from readiness.errors import InvalidInput, MissingExtra, ReadinessError
from readiness.extras import require

errors = Console(stderr=True)

WithoutOption = Annotated[
    list[str] | None,
    typer.Option("--without", help="Switch a production feature off (repeat): auth, rate-limit, "
                 "validation, cache, metrics, audit, explain, monitoring, batching, rollback."),
]  # fmt: skip


def fail(error: ReadinessError) -> typer.Exit:
    errors.print(f"[bold red]error:[/] {escape(str(error))}", highlight=False, soft_wrap=True)
    return typer.Exit(2 if isinstance(error, InvalidInput) else 1)


def needs(extra: str, command: str) -> None:
    """Exit 2 saying which extra to install when `command` needs one that is absent."""
    try:
        require(extra, command)
    except MissingExtra as error:
        raise fail(error) from error


def os_user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
