"""Charts of an assessment, a scenario timeline, a roadmap and a comparison.

One set of figures for every face of a report: the app shows them, the HTML report inlines
them as SVG, the PDF embeds them as images, so a client sees in the PDF what was on the
screen. Figures are built with matplotlib's object API (no pyplot state), so the app can
draw them from several sessions at once.
"""

import io
from collections.abc import Sequence
from datetime import UTC, datetime

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from assessment.result import Assessment
from assessment.roadmap import BUCKETS, PERSON_WEEKS
from assessment.rubric import Effort
from reports.timeline import MarkerKind, ScenarioTimeline, labelled_markers

MET, BELOW, TARGET = "#2a9d5c", "#d9822b", "#1a1a1a"
MARKER_STYLE = {
    MarkerKind.ACTION: ("#c0392b", "--"),
    MarkerKind.STEP: ("#999999", ":"),
    MarkerKind.ALERT: ("#e67e22", "-."),
    MarkerKind.DETECTED: ("#8e44ad", "-"),
    MarkerKind.ROLLED_BACK: ("#2980b9", "-"),
    MarkerKind.RECOVERED: ("#27ae60", "-"),
    MarkerKind.UNDO: ("#bbbbbb", ":"),
}
ROADMAP_STEPS = 25
"""Steps drawn on the roadmap chart; the table lists them all."""
PALETTE = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
]  # fmt: skip


def svg(figure: Figure) -> str:
    """The figure as an inline SVG element (text kept as text, so it can be searched)."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def png(figure: Figure, dpi: int = 110) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    return buffer.getvalue()


def scorecard(assessment: Assessment) -> Figure:
    """Each dimension's score as a bar, its target as a tick: what is below shows at once."""
    dimensions = list(reversed(assessment.dimensions))
    figure = Figure(figsize=(7.5, 4.2), layout="constrained")
    axes = figure.subplots()
    names = [d.title for d in dimensions]
    colours = [MET if d.score >= d.target else BELOW for d in dimensions]
    axes.barh(names, [d.score for d in dimensions], color=colours, height=0.6)
    for row, d in enumerate(dimensions):
        axes.plot([d.target, d.target], [row - 0.4, row + 0.4], color=TARGET, linewidth=2.5)
        axes.text(d.score + 0.08, row, f"{d.score}/{d.target}", va="center", fontsize=8)
    axes.set_xlim(0, 5.6)
    axes.set_xticks(range(6))
    axes.set_xlabel("level (bar: score, black tick: target)")
    axes.set_title(
        f"{assessment.subject.name} ({assessment.subject.profile}): "
        f"{assessment.total}/{assessment.max_total}, targets {assessment.targets_total}"
    )
    axes.grid(axis="x", alpha=0.3)
    return figure


def _markers(axes: Axes, scenario: ScenarioTimeline, numbered: bool) -> None:
    for marker in scenario.markers:
        colour, style = MARKER_STYLE[marker.kind]
        axes.axvline(marker.at_s, color=colour, linestyle=style, linewidth=1.2, alpha=0.9)
    if numbered:
        for number, marker in enumerate(labelled_markers(scenario), start=1):
            axes.annotate(
                str(number), (marker.at_s, 1.0), xycoords=("data", "axes fraction"),
                xytext=(0, 2 + 9 * ((number - 1) % 2)), textcoords="offset points",
                ha="center", fontsize=7, color=MARKER_STYLE[marker.kind][0], weight="bold",
            )  # fmt: skip


def timeline(scenario: ScenarioTimeline) -> Figure:
    """The scenario's panels over time, sharing the time axis; numbered markers where the
    fault was injected, each alert fired, and the measured detection, rollback and recovery
    happened (`reports.timeline.marker_caption` lists them in words)."""
    rows = max(len(scenario.panels), 1)
    figure = Figure(figsize=(9, 1.8 * rows + 0.9), layout="constrained")
    axes_list = figure.subplots(rows, 1, sharex=True, squeeze=False)[:, 0]
    for axes, panel in zip(axes_list, scenario.panels, strict=False):
        for line in panel.lines:
            axes.plot(line.seconds, line.values, linewidth=1.2, label=line.name)
        axes.set_ylabel(panel.unit, fontsize=8)
        axes.set_title(panel.title, fontsize=9, loc="left")
        axes.tick_params(labelsize=7)
        axes.grid(alpha=0.25)
        if len(panel.lines) > 1:
            axes.legend(fontsize=6.5, loc="upper left", ncols=min(len(panel.lines), 3))
    for index, axes in enumerate(axes_list):
        _markers(axes, scenario, numbered=index == 0)
    axes_list[-1].set_xlabel("seconds since the scenario started")
    axes_list[-1].set_xlim(0, max(scenario.duration_s, 1.0))
    delays = "; ".join(f"{m.kind} {m.label.split(':')[0]}" for m in scenario.delays)
    figure.suptitle(f"{scenario.title} ({scenario.status}): {delays or 'no delay measured'}",
                    fontsize=10)  # fmt: skip
    return figure


def _effort_weeks(effort: str) -> float:
    return PERSON_WEEKS[Effort(effort)]


def roadmap(assessment: Assessment) -> Figure:
    """The plan as a timeline: each step a bar over the person-weeks it takes after the
    ones before it, the 30/60/90-day lines, and the total each step would raise to."""
    steps = assessment.roadmap[:ROADMAP_STEPS]
    figure = Figure(figsize=(9, 0.28 * max(len(steps), 4) + 1.4), layout="constrained")
    axes = figure.subplots()
    if not steps:
        axes.text(0.5, 0.5, "nothing to do: every dimension meets its target", ha="center")
        axes.set_axis_off()
        return figure
    colours = {d.id: PALETTE[i % len(PALETTE)] for i, d in enumerate(assessment.dimensions)}
    start = 0.0
    for row, step in enumerate(steps):
        weeks = _effort_weeks(step.effort)
        axes.barh(row, weeks, left=start, color=colours[step.dimension], height=0.7)
        axes.text(start + weeks + 0.1, row, f"-> {step.total_after}", va="center", fontsize=7)
        start += weeks
    for weeks, days in BUCKETS:
        axes.axvline(weeks, color=TARGET, linestyle="--", linewidth=1)
        axes.text(weeks, -0.9, f" {days} days", fontsize=8)
    axes.text(BUCKETS[-1][0], 0.1, "  then 90 days", fontsize=8)
    axes.set_yticks(range(len(steps)), [f"{s.order}. {s.probe}" for s in steps], fontsize=7)
    axes.invert_yaxis()
    axes.set_xlabel("person-weeks, cumulative (bar: the step's effort; -> total score after it)")
    shown = [d for d in colours if any(step.dimension == d for step in steps)]
    axes.legend(handles=[Patch(color=colours[d], label=d) for d in shown], fontsize=7,
                loc="lower right")  # fmt: skip
    more = len(assessment.roadmap) - len(steps)
    axes.set_title(
        f"Roadmap: {assessment.total} -> {assessment.roadmap[-1].total_after} of "
        f"{assessment.max_total}" + (f" ({more} more steps in the table)" if more else ""),
        fontsize=10,
    )
    return figure


def comparison(assessments: Sequence[Assessment], names: Sequence[str]) -> Figure:
    """Two or more assessments side by side, dimension by dimension, with the targets."""
    first = assessments[0]
    figure = Figure(figsize=(9, 3.8), layout="constrained")
    axes = figure.subplots()
    width = 0.8 / len(assessments)
    for index, (assessment, name) in enumerate(zip(assessments, names, strict=True)):
        scores = [d.score for d in assessment.dimensions]
        positions = [row + index * width - 0.4 + width / 2 for row in range(len(scores))]
        axes.bar(positions, scores, width=width, label=f"{name}: {assessment.total}",
                 color=PALETTE[index % len(PALETTE)])  # fmt: skip
    for row, d in enumerate(first.dimensions):
        axes.plot([row - 0.45, row + 0.45], [d.target, d.target], color=TARGET, linewidth=2)
    axes.set_xticks(range(len(first.dimensions)), [d.id for d in first.dimensions],
                    rotation=30, ha="right", fontsize=8)  # fmt: skip
    axes.set_ylim(0, 5.5)
    axes.set_ylabel("level (black line: target)")
    axes.legend(fontsize=7, loc="upper left", ncols=min(len(assessments), 4))
    return figure


def trend(assessments: Sequence[Assessment]) -> Figure:
    """Each dimension over the runs of one system, oldest first, with its target."""
    ordered = sorted(assessments, key=lambda a: a.subject.run_started)
    when = [datetime.fromtimestamp(a.subject.run_started, UTC) for a in ordered]
    figure = Figure(figsize=(10, 4.6), layout="constrained")
    grid = figure.subplots(2, 6, sharex=True, squeeze=False)
    panels = [*ordered[0].dimensions, None]
    for index, axes in enumerate(grid.flat):
        if index >= len(panels):
            axes.set_axis_off()
            continue
        dimension = panels[index]
        if dimension is None:
            totals = [a.total for a in ordered]
            axes.plot(when, totals, marker="o", color=TARGET, linewidth=1.2)
            axes.set_title("total", fontsize=8)
            axes.set_ylim(0, 51)
        else:
            scores = [a.dimension(dimension.id).score for a in ordered]
            axes.plot(when, scores, marker="o", linewidth=1.2)
            axes.axhline(dimension.target, color=BELOW, linestyle="--", linewidth=1)
            axes.set_title(dimension.id, fontsize=8)
            axes.set_ylim(0, 5.5)
        axes.tick_params(labelsize=6)
        axes.tick_params(axis="x", rotation=45)
    figure.suptitle(f"{ordered[0].subject.name} ({ordered[0].subject.profile}): "
                    f"{len(ordered)} runs", fontsize=10)  # fmt: skip
    return figure
