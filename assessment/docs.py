"""`docs/probes.md`, generated from the rubric: `python -m assessment.docs` rewrites it, and a
test fails when the file and the rubric disagree, so the documentation of every probe is
the rubric's own data."""

import sys
from pathlib import Path

from assessment.evidence import EVIDENCE
from assessment.rubric import Rubric, rubric

DOCS_FILE = Path(__file__).parent.parent / "docs" / "probes.md"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def render(found: Rubric) -> str:
    lines = [
        "# Probes",
        "",
        "Generated from `assessment/rubric.yaml` by `python -m assessment.docs`; do not edit.",
        "",
        "A dimension scores the highest level L such that every applicable probe at levels",
        "2..L passes (level 1 needs nothing). Level 2: declared; 3: answers live; 4: every",
        "steady-state probe passes live; 5: a scenario injected the fault or load and the",
        "measured response met its tolerance. Attested answers cap a dimension at 4.",
        "",
        "| dimension | target | risk | question |",
        "|---|---:|---:|---|",
        *[f"| {d.id} | {d.target} | {d.risk} | {_cell(d.question)} |" for d in found.dimensions],
        "",
    ]
    for dimension in found.dimensions:
        lines += [
            f"## {dimension.title}",
            "",
            f"_{dimension.question}_ Target {dimension.target}.",
            "",
        ]
        lines += [
            "| level | probe | question | evidence | remediation (effort, where) |",
            "|---:|---|---|---|---|",
        ]
        for probe in sorted(found.probes_of(dimension.id), key=lambda p: p.level):
            fix = probe.remediation
            evidence = ", ".join(f"`{e}`" for e in probe.evidence)
            if probe.scenario:
                names = " or ".join(f"`{name}`" for name in probe.scenario.names)
                evidence += f" (scenario {names}: {', '.join(probe.scenario.measures)})"
            attested = " May be attested." if probe.attestable else ""
            lines.append(
                f"| {probe.level} | `{probe.id}` | {_cell(probe.question)}{attested} | "
                f"{evidence} | {_cell(fix.text)} ({fix.effort}, `{fix.reference}`) |"
            )
        lines.append("")
    lines += ["## Evidence", "", "| name | collected by |", "|---|---|"]
    lines += [f"| `{name}` | {_cell(what)} |" for name, what in EVIDENCE.items()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    DOCS_FILE.write_text(render(rubric()))
    sys.stdout.write(f"{DOCS_FILE}\n")
