"""`readiness dashboard` and `readiness report`: thin shells over `reports`."""

import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

from readiness.cli.shell import errors, fail
from readiness.errors import InvalidInput, MissingExtra, ReadinessError
from readiness.extras import require
from readiness.home import readiness_home

HOST = "127.0.0.1"
DEFAULT_PORT = 8501
STREAMLIT_SETTINGS = {
    "server.headless": "true",
    "server.fileWatcherType": "none",
    "browser.gatherUsageStats": "false",
    "global.developmentMode": "false",
    "client.toolbarMode": "viewer",
}


def _port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
        return True


def dashboard_command(runs: Path, port: int, host: str = HOST) -> list[str]:
    """The `streamlit run` command line of the app on `port` (the runs folder goes in the
    environment, see `reports.app.state.RUNS_VARIABLE`)."""
    from reports.app import state

    main = Path(state.__file__).parent / "main.py"
    chosen = {**STREAMLIT_SETTINGS, "server.address": host, "server.port": str(port)}
    settings = [f"--{key}={value}" for key, value in chosen.items()]
    return [sys.executable, "-m", "streamlit", "run", str(main), *settings]


def dashboard(
    runs: Annotated[
        Path | None,
        typer.Option(help="Folder of evidence bundles (default: READINESS_HOME/runs)."),
    ] = None,
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = DEFAULT_PORT,
    host: Annotated[
        str,
        typer.Option(help="Address to listen on: 0.0.0.0 to serve from a container "
                     "(the app has no login: publish it only where its readers may see it)."),
    ] = HOST,
) -> None:  # fmt: skip
    """Start the app (default on 127.0.0.1): scores, evidence, scenario timelines, the
    roadmap, comparisons and exports of the bundles under RUNS. Stop it with Ctrl-C."""
    _needs_app("readiness dashboard")
    from reports.app.state import RUNS_VARIABLE

    folder = (runs or readiness_home().runs).expanduser().resolve()
    if not folder.is_dir():
        hint = "" if runs else " (run `readiness run` or `readiness demo` first, or pass --runs)"
        raise fail(InvalidInput(f"--runs: {folder} is not a folder{hint}"))
    try:
        free = _port_is_free(host, port)
    except (OSError, UnicodeError) as problem:
        raise fail(InvalidInput(f"--host: cannot listen on '{host}': {problem}")) from None
    if not free:
        raise fail(InvalidInput(f"--port: {port} is in use on {host}; choose another"))
    shown = f"[{host}]" if ":" in host else host
    errors.print(f"readiness dashboard: http://{shown}:{port} (bundles under {folder})")
    environment = {**os.environ, RUNS_VARIABLE: str(folder)}
    try:
        code = subprocess.call(dashboard_command(folder, port, host), env=environment)
    except KeyboardInterrupt:
        code = 0
    raise typer.Exit(code)


def _needs_app(command: str) -> None:
    try:
        require("app", command)
    except MissingExtra as error:
        raise fail(error) from error


def report(
    bundle: Annotated[Path, typer.Argument(help="An assessed evidence bundle folder.")],
    format: Annotated[str, typer.Option("--format", "-f", help="html or pdf.")] = "html",
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Default: readiness-RUN.html|pdf here."),
    ] = None,
    policy: Annotated[
        Path | None, typer.Option(help="Judge the run against this gate policy too.")
    ] = None,
) -> None:
    """The report for people: scores, evidence, scenario timelines and roadmap, as one
    self-contained HTML file or a PDF of the same content."""
    from assessment.policy import load_policy
    from reports.bundles import load_run
    from reports.document import build, default_name
    from reports.exports import ReportFormat, html

    try:
        chosen = ReportFormat(format)
    except ValueError:
        choices = ", ".join(f.value for f in ReportFormat)
        raise fail(InvalidInput(f"--format must be one of {choices}, not '{format}'")) from None
    if chosen is ReportFormat.PDF:
        _needs_app("readiness report -f pdf")
    if not bundle.is_dir():
        raise fail(InvalidInput(f"BUNDLE: {bundle} is not a folder"))
    try:
        run = load_run(bundle)
        rules = load_policy(policy) if policy else None
        with errors.status("drawing the report ..."):
            blocks = build(run, rules)
            if chosen is ReportFormat.HTML:
                content = html.render(blocks).encode()
            else:
                from reports.exports import pdf

                content = pdf.render(blocks, run.started)
    except ReadinessError as error:
        raise fail(error) from error
    target = output or default_name(run, f".{chosen.value}")
    try:
        target.write_bytes(content)
    except OSError as problem:
        raise fail(InvalidInput(f"--output: cannot write {target}: {problem.strerror}")) from None
    errors.print(f"{chosen.value}: {target}", highlight=False)
