"""`readiness up` and `readiness down`: a reference architecture started and stopped locally,
through `reference.deployments`."""

import sys
from pathlib import Path
from typing import Annotated

import typer

from readiness.cli.shell import WithoutOption, errors, fail, needs
from readiness.errors import ReadinessError
from readiness.home import readiness_home

ArchArgument = Annotated[str, typer.Argument(help="microservice, event-driven or edge.")]


def up(
    arch: ArchArgument,
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
    needs("reference", "readiness up")
    from reference.deployments import UpOptions, architecture
    from reference.deployments import up as start

    options = UpOptions(profile, alias, faults, monitor_config, frozenset(without or ()))
    try:
        architecture(arch)
        with errors.status(f"starting {arch} ({profile}) ..."):
            descriptor = start(readiness_home(), arch, options)
    except ReadinessError as error:
        raise fail(error) from error
    sys.stdout.write(f"{descriptor}\n")


def down(arch: ArchArgument) -> None:
    """Stop a reference deployment started by `readiness up`."""
    needs("reference", "readiness down")
    from reference.deployments import down as stop

    try:
        stopped = stop(readiness_home(), arch)
    except ReadinessError as error:
        raise fail(error) from error
    errors.print(f"{arch}: {'stopped' if stopped else 'was not running'}")
