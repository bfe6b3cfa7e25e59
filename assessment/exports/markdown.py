"""Markdown: short enough for a pull-request comment or a CI job summary; the scorecard,
why each dimension below target is where it is, and the first steps of the roadmap."""

from assessment.result import Assessment, DimensionResult
from readiness.bundle import Outcome

ROADMAP_STEPS = 10
MARK = {
    Outcome.PASS: "pass",
    Outcome.FAIL: "**fail**",
    Outcome.NOT_AVAILABLE: "unknown",
    Outcome.NOT_APPLICABLE: "n/a",
    Outcome.ERROR: "**error**",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def scorecard(assessment: Assessment) -> list[str]:
    lines = ["| dimension | score | target | gap | why not higher |", "|---|---:|---:|---:|---|"]
    for d in assessment.dimensions:
        why = "at target" if d.score >= d.target else _cell(d.explanation)[:200]
        attested = " (attested cap)" if d.capped_by_attestation else ""
        lines.append(f"| {d.title} | {d.score}{attested} | {d.target} | {d.gap or ''} | {why} |")
    lines.append(
        f"| **total** | **{assessment.total}** | {assessment.targets_total} | | "
        f"of {assessment.max_total} |"
    )
    return lines


def _blocking(dimension: DimensionResult) -> list[str]:
    by_probe = {f.probe: f for f in dimension.findings}
    return [
        f"- `{p}` ({MARK[by_probe[p].outcome]}): {_cell(by_probe[p].detail)}"
        for p in dimension.blocking
    ]


def render(assessment: Assessment) -> str:
    subject, total = assessment.subject, f"{assessment.total}/{assessment.max_total}"
    lines = [
        f"## Readiness: {subject.name} ({subject.profile}): {total}",
        "",
        f"{subject.architecture}, {subject.pattern}; run `{subject.run_id}` "
        f"({subject.run_status}); "
        f"scenarios: {', '.join(subject.scenarios) or 'none'}; descriptor "
        f"`{subject.descriptor_digest[:12]}`; readiness {assessment.tool_version}.",
        "",
        *scorecard(assessment),
        "",
    ]
    below = [d for d in assessment.dimensions if d.score < d.target]
    if below:
        lines += ["### Below target", ""]
        for d in below:
            lines += [f"**{d.title}** {d.score}/{d.target}: level {d.score + 1} needs", ""]
            lines += _blocking(d) or [f"- {d.explanation}"]
            lines.append("")
    if assessment.roadmap:
        lines += [
            "### Roadmap (first steps)",
            "",
            "| # | days | probe | effort | fix | score after |",
            "|---:|---:|---|---|---|---:|",
        ]
        for step in assessment.roadmap[:ROADMAP_STEPS]:
            lines.append(
                f"| {step.order} | {step.days} | `{step.probe}` | {step.effort} | "
                f"{_cell(step.text)} | {step.total_after} |"
            )
        if len(assessment.roadmap) > ROADMAP_STEPS:
            lines.append(
                f"\n{len(assessment.roadmap) - ROADMAP_STEPS} more steps in the full report."
            )
        lines.append("")
    return "\n".join(lines)
