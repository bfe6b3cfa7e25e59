"""The report for people, as a list of blocks that each format draws its own way.

Built once per run (and policy), then drawn as HTML and as PDF: both show the same
headings, tables and charts in the same order, so the PDF a client receives is the page
they were shown. The app's pages draw the same data with Streamlit's widgets.
"""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from assessment.gate import GateResult, gate
from assessment.policy import Policy
from assessment.result import Assessment, DimensionResult
from reports.bundles import Run
from reports.evidence import EvidenceIndex, EvidenceView, seal_line, served_line, when
from reports.timeline import ScenarioTimeline, marker_caption, scenario_timelines

if TYPE_CHECKING:
    from matplotlib.figure import Figure

DETAIL_CHARACTERS = 240


@dataclass(frozen=True)
class Heading:
    level: int
    text: str
    anchor: str


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Table:
    columns: list[str]
    rows: list[list[str]]
    widths: list[float]
    """Relative column widths (the PDF needs them; HTML lets the browser decide)."""
    cites: int | None = None
    """A column of evidence ids (comma-separated) that HTML links to the evidence table."""
    cited: int | None = None
    """The column whose id each row is the evidence of (the target of those links)."""


@dataclass(frozen=True)
class Chart:
    title: str
    draw: Callable[[], "Figure"]
    """Draws it with matplotlib (the `charts` extra), only when a format shows it."""
    caption: list[str]


Block = Heading | Paragraph | Table | Chart


def _charts() -> "ModuleType":
    from reports import charts  # matplotlib: imported only to draw

    return charts


def _cut(text: str, limit: int = DETAIL_CHARACTERS) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def subject_line(assessment: Assessment) -> str:
    s = assessment.subject
    return (
        f"{s.name}: {s.architecture} ({s.pattern}), profile {s.profile}. Run {s.run_id} "
        f"({s.run_status}), started {when(s.run_started)}. Descriptor {s.descriptor_digest[:16]}, "
        f"code {s.code_version[:12]}, readiness {assessment.tool_version}, rubric "
        f"{assessment.rubric_version}. Scenarios: {', '.join(s.scenarios) or 'none'}."
    )


def verdict_line(result: GateResult) -> str:
    verdict = "PASSES" if result.passed else "FAILS"
    lines = [f"Policy {result.policy}: {verdict}."]
    for title, items in (
        ("Violations", result.violations),
        ("Warnings", result.warnings),
        ("Waived", result.waived),
        ("Expired exemptions", result.expired),
    ):
        if items:
            lines.append(f"{title}: {'; '.join(items)}.")
    return " ".join(lines)


def scorecard_rows(assessment: Assessment) -> list[list[str]]:
    return [
        [d.title, str(d.score), str(d.target), "at target" if d.score >= d.target
         else _cut(d.explanation)]
        for d in assessment.dimensions
    ]  # fmt: skip


def finding_rows(dimension: DimensionResult) -> list[list[str]]:
    return [
        [str(f.level), f.probe, f"{f.outcome}{' (attested)' if f.attested else ''}",
         _cut(f.detail), ", ".join(f.evidence)]
        for f in sorted(dimension.findings, key=lambda f: (f.level, f.probe))
    ]  # fmt: skip


def evidence_row(evidence_id: str, view: EvidenceView | None) -> list[str]:
    if view is None:
        return [evidence_id, "not in this bundle", "", "", "", ""]
    return [view.id, view.what, _cut(f"{view.status}: {view.value}"), _cut(view.where, 120),
            view.when, view.by]  # fmt: skip


def roadmap_rows(assessment: Assessment) -> list[list[str]]:
    return [
        [str(s.order), str(s.days), s.dimension, f"{s.probe} ({s.outcome})", _cut(s.text),
         s.effort, s.reference, str(s.total_after)]
        for s in assessment.roadmap
    ]  # fmt: skip


def measured_rows(timeline: ScenarioTimeline) -> list[list[str]]:
    return [
        [m.name, "not measured" if m.value is None else f"{m.value:.4g} {m.unit}".strip(),
         m.tolerance, m.outcome]
        for m in timeline.measured
    ]  # fmt: skip


def _dimension_blocks(dimension: DimensionResult) -> list[Block]:
    return [
        Heading(3, f"{dimension.title}: {dimension.score}/5 (target {dimension.target})",
                f"dimension-{dimension.id}"),
        Paragraph(f"{dimension.question} {dimension.explanation}"),
        Table(["level", "probe", "outcome", "detail", "evidence"], finding_rows(dimension),
              [0.6, 2.6, 1.2, 4.0, 2.4], cites=4),
    ]  # fmt: skip


def _timeline_blocks(timeline: ScenarioTimeline) -> list[Block]:
    blocks: list[Block] = [
        Heading(3, f"{timeline.title} ({timeline.status})", f"scenario-{timeline.name}"),
    ]
    if timeline.measured:
        blocks.append(Table(["expectation", "measured", "tolerance", "outcome"],
                            measured_rows(timeline), [5.0, 2.0, 1.4, 1.4]))  # fmt: skip
    notes = []
    if timeline.firing_at_start:
        notes.append(f"Already firing when it began: {', '.join(timeline.firing_at_start)}.")
    if timeline.missing:
        notes.append(f"No samples for: {', '.join(timeline.missing)}.")
    if notes:
        blocks.append(Paragraph(" ".join(notes)))
    if timeline.panels:
        blocks.append(Chart(f"Timeline of {timeline.name}", lambda: _charts().timeline(timeline),
                            marker_caption(timeline)))  # fmt: skip
    return blocks


def build(run: Run, policy: Policy | None = None) -> list[Block]:
    """The whole report of one run: overview, dimensions, evidence, timelines, roadmap."""
    assessment = run.assessment
    index = EvidenceIndex.of(run.path, assessment)
    title = f"Readiness of {assessment.subject.name}: {assessment.total}/{assessment.max_total}"
    blocks: list[Block] = [
        Heading(1, title, "top"),
        Paragraph(f"{subject_line(assessment)} {served_line(index)} {seal_line(run.path)}"),
    ]
    if policy is not None:
        blocks.append(Paragraph(verdict_line(gate(assessment, policy))))
    blocks += [
        Heading(2, "Scorecard", "scorecard"),
        Chart("Scorecard", lambda: _charts().scorecard(assessment), []),
        Table(["dimension", "score", "target", "why not higher"], scorecard_rows(assessment),
              [2.0, 0.8, 0.8, 8.0]),
        Heading(2, "Dimensions", "dimensions"),
    ]  # fmt: skip
    for dimension in assessment.dimensions:
        blocks += _dimension_blocks(dimension)
    cited = sorted({e for f in assessment.findings() for e in f.evidence})
    blocks += [
        Heading(2, "Evidence", "evidence"),
        Paragraph("What each finding was judged on: what was measured, where, when, by what."),
        Table(["id", "what", "value", "where", "when", "by"],
              [evidence_row(e, index.get(e)) for e in cited], [2.2, 2.0, 3.0, 2.2, 1.4, 2.2],
              cited=0),
        Heading(2, "Scenario timelines", "timelines"),
    ]  # fmt: skip
    timelines = scenario_timelines(run.path, run.manifest)
    if not timelines:
        blocks.append(Paragraph("No scenario ran in this bundle."))
    for timeline in timelines:
        blocks += _timeline_blocks(timeline)
    blocks += [
        Heading(2, "Roadmap", "roadmap"),
        Chart("Roadmap", lambda: _charts().roadmap(assessment), []),
        Table(["#", "days", "dimension", "probe", "what to do", "effort", "done right in",
               "total after"], roadmap_rows(assessment),
              [0.4, 0.5, 1.2, 2.6, 4.2, 0.6, 2.4, 0.7]),
    ]  # fmt: skip
    return blocks


def headings(blocks: list[Block]) -> list[str]:
    return [block.text for block in blocks if isinstance(block, Heading)]


def default_name(run: Run, suffix: str) -> Path:
    return Path(f"readiness-{run.run_id}{suffix}")


def evidence_anchor(evidence_id: str) -> str:
    return "evidence-" + "".join(c if c.isalnum() else "-" for c in evidence_id)
