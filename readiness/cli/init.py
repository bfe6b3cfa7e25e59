"""`readiness init`: discover a running system and write a first descriptor of it.

Thin: the discovery is `harness.discovery`; here are the options, the commented file a
person can finish, and the summary of what was found and what was not."""

from pathlib import Path
from typing import Annotated

import typer
import yaml
from rich.console import Console

from readiness.cli.shell import errors, fail
from readiness.descriptor import Credentials, DataSpec, Registry
from readiness.errors import InvalidInput, ReadinessError

COMMENTS = {
    "name": "What the reports call this system.",
    "architecture": "Free text: how it is built (a FastAPI app, KServe, ...).",
    "pattern": "real-time, streaming or edge: the latency class it is judged in.",
    "profile": "Which deployment this is (staging, production ...).",
    "slos": "Set these to your own SLOs: the p99 shown is three times the latency measured "
    "by init (at least 100 ms), a starting point only.",
    "endpoints": "Found by init; add explain, feedback, admin, monitor_metrics where the "
    "system has them.",
    "protocol": "How a prediction is asked for and answered (readiness, kserve-v1, "
    "open-inference-v2, mlflow, template).",
    "data": "Your rows: every request the harness sends is built from them. Add personal "
    "(columns holding personal data) and important (the numeric columns drift shifts).",
    "credentials": "The key is read from the variable api_key_env names, sent in header "
    "(with scheme before it, e.g. Bearer).",
    "registry": "Where the served model is registered; served_version where answers name "
    "no version; aliases where yours are not champion/previous.",
    "conventions": "Map a metric family of your own to a signal (requests, latency, ...).",
    "fault_hooks": "Scenarios that inject a fault need a hook each: an HTTP admin call or "
    "a shell command, with its undo. Without them those scenarios are not applicable.",
}


def _commented(document: dict[str, object]) -> str:
    lines = ["# A first target descriptor written by `readiness init`: check every section,",
             "# then run `readiness run THIS_FILE`.", ""]  # fmt: skip
    for key, value in document.items():
        if key in COMMENTS:
            lines.append(f"# {COMMENTS[key]}")
        lines.append(yaml.safe_dump({key: value}, sort_keys=False).rstrip())
    lines += ["", f"# {COMMENTS['fault_hooks']}", "# fault_hooks:",
              "#   - {name: kill-replica, kind: shell, target: ./kill-one.sh, undo: restart}",
              "#   - {name: restart, kind: shell, target: ./restart.sh}"]  # fmt: skip
    return "\n".join(lines) + "\n"


def init(
    predict_url: Annotated[str, typer.Argument(help="The system's predict URL.")],
    data: Annotated[Path, typer.Option(help="A CSV or parquet file of rows it accepts.")],
    label: Annotated[str | None, typer.Option(help="The true-outcome column.")] = None,
    group: Annotated[
        list[str] | None, typer.Option(help="A group column for fairness; repeat for several.")
    ] = None,
    personal: Annotated[
        list[str] | None, typer.Option(help="A column of personal data; repeat for several.")
    ] = None,
    registry: Annotated[str | None, typer.Option(help="The MLflow registry URI.")] = None,
    model: Annotated[str | None, typer.Option(help="The registered model's name.")] = None,
    api_key_env: Annotated[
        str | None, typer.Option(help="The environment variable holding an API key.")
    ] = None,
    auth_header: Annotated[str, typer.Option(help="The header the key goes in.")] = "x-api-key",
    auth_scheme: Annotated[str | None, typer.Option(help="Written before the key.")] = None,
    output: Annotated[Path, typer.Option("-o", "--output", help="Where to write it.")] = Path(
        "target.yaml"
    ),
) -> None:
    """Discover a running system (protocol, routes, schema, auth), check that a few of its
    rows are answered 2xx, and write a commented descriptor to finish.

    Exit 0 when written, 1 when the target does not answer, 2 for bad input."""
    from harness.discovery import discover

    if not predict_url.startswith(("http://", "https://")):
        raise fail(InvalidInput(f"PREDICT_URL: '{predict_url}' is not an http(s) URL"))
    if registry is not None and model is None:
        raise fail(InvalidInput("--registry needs --model (the registered model's name)"))
    try:
        spec = DataSpec(rows=data.resolve(), label=label, groups=group or [],
                        personal=personal or [])  # fmt: skip
        credentials = Credentials(api_key_env=api_key_env, header=auth_header, scheme=auth_scheme)
        declared = Registry(uri=registry, model=model) if registry and model else None
        with errors.status(f"discovering {predict_url} ..."):
            found, descriptor = discover(predict_url, spec, output.resolve().parent,
                                         registry=declared, model=model,
                                         credentials=credentials)  # fmt: skip
    except ReadinessError as error:
        raise fail(error) from error
    except ValueError as error:  # a pydantic field refused (a header name, say)
        raise fail(InvalidInput(str(error).splitlines()[0])) from error
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(_commented(descriptor.model_dump(mode="json", exclude_defaults=True)))
    console = Console()
    for line in found.found:
        console.print(f"[green]found[/]   {line}", highlight=False, soft_wrap=True)
    for line in found.missing:
        console.print(f"[yellow]missing[/] {line}", highlight=False, soft_wrap=True)
    console.print(f"descriptor: {output}", highlight=False)
    if found.sent and found.answered < found.sent:
        errors.print(f"[yellow]warning:[/] {found.sent - found.answered} of {found.sent} rows "
                     "were not answered 2xx: check the protocol and the data")  # fmt: skip
