"""A self-contained HTML report (no external asset, so it can be mailed or archived): the
scorecard with each dimension against its target, every finding by level with its
evidence, and the roadmap."""

from html import escape

from assessment.result import Assessment, DimensionResult
from readiness.bundle import Outcome

STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:70rem;color:#1a1a1a}
table{border-collapse:collapse;width:100%;margin:1rem 0}th,td{border:1px solid #ddd;
padding:.3rem .5rem;text-align:left;vertical-align:top}th{background:#f4f4f4}
.bar{background:#eee;height:1rem;position:relative;width:12rem}.fill{background:#2b7;height:1rem}
.below .fill{background:#d84}.target{position:absolute;top:-.2rem;height:1.4rem;width:2px;
background:#000}.pass{color:#185}.fail,.error{color:#b22;font-weight:bold}
.not_available{color:#a60}.not_applicable{color:#777}code{font-size:.9em}
"""


def _bar(d: DimensionResult) -> str:
    below = " below" if d.score < d.target else ""
    return (
        f'<div class="bar{below}"><div class="fill" style="width:{d.score * 20}%"></div>'
        f'<div class="target" style="left:{d.target * 20}%"></div></div>'
    )


def _dimension(d: DimensionResult) -> str:
    rows = "".join(
        f"<tr><td>{f.level}</td><td><code>{escape(f.probe)}</code><br>{escape(f.question)}</td>"
        f'<td class="{f.outcome}">{f.outcome}{" (attested)" if f.attested else ""}</td>'
        f"<td>{escape(f.detail)}</td><td>{escape(', '.join(f.evidence))}</td></tr>"
        for f in sorted(d.findings, key=lambda f: (f.level, f.probe))
    )
    return (
        f'<h3 id="{d.id}">{escape(d.title)}: {d.score}/5 (target {d.target})</h3>'
        f"<p><em>{escape(d.question)}</em></p><p>{escape(d.explanation)}</p>"
        "<table><tr><th>level</th><th>probe</th><th>outcome</th><th>detail</th>"
        f"<th>evidence</th></tr>{rows}</table>"
    )


def _why(d: DimensionResult) -> str:
    return d.explanation if d.score < d.target else "at target"


def render(assessment: Assessment) -> str:
    s = assessment.subject
    card = "".join(
        f'<tr><td><a href="#{d.id}">{escape(d.title)}</a></td><td>{d.score}</td><td>{d.target}</td>'
        f"<td>{_bar(d)}</td><td>{escape(_why(d))}</td></tr>"
        for d in assessment.dimensions
    )
    steps = "".join(
        f"<tr><td>{r.order}</td><td>{r.days}</td><td>{escape(r.dimension)}</td>"
        f"<td><code>{escape(r.probe)}</code> ({r.outcome})</td><td>{escape(r.text)}</td>"
        f"<td>{r.effort}</td><td><code>{escape(r.reference)}</code></td><td>{r.total_after}</td></tr>"
        for r in assessment.roadmap
    )
    outcomes = {o: sum(f.outcome is o for f in assessment.findings()) for o in Outcome}
    counted = ", ".join(f"{n} {o}" for o, n in outcomes.items() if n)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Readiness: {escape(s.name)} {assessment.total}/{assessment.max_total}</title>
<style>{STYLE}</style></head><body>
<h1>Readiness of {escape(s.name)}: {assessment.total}/{assessment.max_total}</h1>
<p>{escape(s.architecture)} ({escape(s.pattern)}), profile {escape(s.profile)}; run
<code>{escape(s.run_id)}</code> ({escape(s.run_status)}); descriptor
<code>{escape(s.descriptor_digest[:16])}</code>; code <code>{escape(s.code_version[:12])}</code>;
readiness {escape(assessment.tool_version)}. Targets total {assessment.targets_total}.
Scenarios: {escape(", ".join(s.scenarios) or "none")}. Findings: {counted}.</p>
<h2>Scorecard</h2>
<table><tr><th>dimension</th><th>score</th><th>target</th><th></th><th>why not higher</th></tr>
{card}</table>
<h2>Roadmap</h2>
<table><tr><th>#</th><th>days</th><th>dimension</th><th>probe</th><th>what to do</th>
<th>effort</th><th>done right in</th><th>total after</th></tr>{steps}</table>
<h2>Dimensions</h2>
{"".join(_dimension(d) for d in assessment.dimensions)}
</body></html>
"""
