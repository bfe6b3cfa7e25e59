"""`readiness assess` and `readiness gate`, thin shells over `assessment`, and the scorecard
table every command that assesses prints."""

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from readiness.cli.shell import errors, fail
from readiness.errors import InvalidInput, ReadinessError

if TYPE_CHECKING:
    from assessment.result import Assessment


def scorecard_table(*assessments: "Assessment", title: str = "readiness") -> Table:
    """One column of scores per assessment, beside the targets."""
    table = Table(title=title)
    table.add_column("dimension")
    table.add_column("target", justify="right")
    for assessment in assessments:  # side by side, the profiles tell them apart
        subject = assessment.subject
        table.add_column(subject.profile if len(assessments) > 1 else subject.name, justify="right")
    for index, dimension in enumerate(assessments[0].dimensions):
        cells = []
        for assessment in assessments:
            scored = assessment.dimensions[index]
            colour = "green" if scored.score >= scored.target else "red"
            cells.append(f"[{colour}]{scored.score}[/]")
        table.add_row(dimension.title, str(dimension.target), *cells)
    table.add_row("total", str(assessments[0].targets_total),
                  *[f"[bold]{a.total}[/]/{a.max_total}" for a in assessments])  # fmt: skip
    return table


def assess(
    bundle: Annotated[Path, typer.Argument(help="An evidence bundle folder (readiness run).")],
    format: Annotated[
        str, typer.Option("--format", "-f", help="json, md, html, sarif or junit.")
    ] = "json",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
    sarif_root: Annotated[
        Path | None,
        typer.Option(help="SARIF: give the descriptor's path from this folder (default: the "
                     "repository holding the descriptor)."),
    ] = None,
) -> None:  # fmt: skip
    """Score an evidence bundle against the 50-point framework; the same bundle always
    gives the same output."""
    from assessment.engine import assess as assess_folder
    from assessment.exports import Format, render

    try:
        chosen = Format(format)
    except ValueError:
        choices = ", ".join(f.value for f in Format)
        raise fail(InvalidInput(f"--format must be one of {choices}, not '{format}'")) from None
    if not bundle.is_dir():
        raise fail(InvalidInput(f"BUNDLE: {bundle} is not a folder"))
    try:
        text = render(assess_folder(bundle), chosen, sarif_root)
    except ReadinessError as error:
        raise fail(error) from error
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text)
    except OSError as problem:
        raise fail(InvalidInput(f"--output: cannot write {output}: {problem.strerror}")) from None
    errors.print(f"{chosen.value}: {output}", highlight=False)


def _load_assessment(path: Path, what: str) -> "Assessment":
    from assessment.result import read_assessment

    return read_assessment(path, what)


GATE_FORMATS = ("text", "json", "md")


def gate(
    assessment: Annotated[Path, typer.Argument(help="An assessment.json.")],
    policy: Annotated[
        str, typer.Option(help="A shipped gate policy by name (whitepaper) or a policy file.")
    ],
    baseline: Annotated[
        Path | None, typer.Option(help="An earlier assessment.json: fail on any regression.")
    ] = None,
    format: Annotated[
        str, typer.Option("--format", "-f", help="text, json or md, on stdout.")
    ] = "text",
    summary: Annotated[
        Path | None,
        typer.Option(help="Also write the Markdown summary to this file."),
    ] = None,
) -> None:
    """Exit 0 when the assessment meets the policy, 1 when it violates it, 2 for bad input.

    The verdict goes to stdout in the chosen format; the Markdown summary is written where
    asked (--summary) and appended to $GITHUB_STEP_SUMMARY when that is set."""
    from assessment.gate import gate as run_gate
    from assessment.gate import summary as gate_summary
    from assessment.gate import text, verdict
    from assessment.policy import load_policy

    if format not in GATE_FORMATS:
        raise fail(InvalidInput(f"--format must be one of {', '.join(GATE_FORMATS)}, "
                                f"not '{format}'"))  # fmt: skip
    try:
        chosen = load_policy(policy)
        found = _load_assessment(assessment, "ASSESSMENT")
        before = _load_assessment(baseline, "--baseline") if baseline else None
    except ReadinessError as error:
        raise fail(error) from error
    result = run_gate(found, chosen, before)
    markdown = gate_summary(result, found)
    targets = [summary] if summary else []
    if os.environ.get("GITHUB_STEP_SUMMARY"):
        targets.append(Path(os.environ["GITHUB_STEP_SUMMARY"]))
    for target in targets:
        try:
            with target.open("a" if target != summary else "w") as handle:
                handle.write(markdown)
        except OSError as problem:
            where = "--summary" if target == summary else "$GITHUB_STEP_SUMMARY"
            raise fail(
                InvalidInput(f"{where}: cannot write {target}: {problem.strerror}")
            ) from None
    outputs = {
        "text": lambda: text(result, found),
        "json": lambda: verdict(result, found).model_dump_json(indent=2) + "\n",
        "md": lambda: markdown,
    }
    sys.stdout.write(outputs[format]())
    if not result.passed:
        raise typer.Exit(1)
