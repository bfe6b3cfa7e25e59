"""A `GlobalReport` as one self-contained HTML page: tables and inline SVG, nothing fetched.

The page is read where reports are archived and audited, often with no network, so it
carries its own style and draws its charts as inline SVG; every text from the report is
escaped. It only reads the report: computing is `global_report`'s job.
"""

from html import escape
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reference.platform.explain.global_report import GlobalReport, PartialDependence

SPARK_WIDTH = 160
SPARK_HEIGHT = 32
BAR_WIDTH = 200

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #1f2933; }
table { border-collapse: collapse; margin-bottom: 2rem; }
th, td { border-bottom: 1px solid #d9e2ec; padding: 0.3rem 0.8rem; text-align: left; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
details summary { cursor: pointer; }
.muted { color: #627d98; }
"""


def render_html(report: "GlobalReport") -> str:
    when = report.computed_at.isoformat(timespec="seconds")
    title = f"Global explanation of {report.model or 'the model'}"
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>",
            f"<h1>{escape(title)}</h1>",
            f'<p class="muted">Computed {escape(when)} in {report.seconds:.1f} s on '
            f"{report.rows} rows (partial dependence averaged over {report.dependence_rows}; "
            f"importance over {report.importance.explained_rows} rows against a background of "
            f"{report.importance.background_rows}); schema digest "
            f"{escape(report.schema_digest[:12])}.</p>",
            _importance_table(report),
            _dependence_table(report),
            "</body></html>",
        ]
    )


def _importance_table(report: "GlobalReport") -> str:
    importance = report.importance.importance
    largest = max(importance.values(), default=0.0) or 1.0
    rows = [
        f'<tr><td>{escape(name)}</td><td class="number">{value:.4f}</td>'
        f"<td>{_bar(value / largest)}</td></tr>"
        for name, value in importance.items()
    ]
    return (
        "<h2>Feature importance (mean |SHAP|, probability)</h2><table>"
        "<tr><th>feature</th><th>mean |SHAP|</th><th></th></tr>"
        f"{''.join(rows)}</table>"
    )


def _dependence_table(report: "GlobalReport") -> str:
    rows = []
    for dependence in report.partial_dependence.values():
        low, high = min(dependence.mean_prediction), max(dependence.mean_prediction)
        rows.append(
            f"<tr><td>{escape(dependence.feature)}</td><td>{dependence.kind}</td>"
            f'<td class="number">{low:.3f}</td><td class="number">{high:.3f}</td>'
            f"<td>{_sparkline(dependence)}</td><td>{_values(dependence)}</td></tr>"
        )
    return (
        "<h2>Partial dependence (mean predicted probability)</h2><table>"
        "<tr><th>feature</th><th>kind</th><th>lowest</th><th>highest</th><th>shape</th>"
        f"<th>values</th></tr>{''.join(rows)}</table>"
    )


def _bar(fraction: float) -> str:
    width = max(fraction, 0.0) * BAR_WIDTH
    return (
        f'<svg width="{BAR_WIDTH}" height="12" role="img"><rect width="{width:.1f}" '
        'height="12" fill="#486581"/></svg>'
    )


def _sparkline(dependence: "PartialDependence") -> str:
    """A line over a numeric grid (evenly spaced by position), bars for categories."""
    values = dependence.mean_prediction
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    count = len(values)

    def y(value: float) -> float:
        return SPARK_HEIGHT - 2 - (value - low) / span * (SPARK_HEIGHT - 4)

    if dependence.kind == "numeric":
        step = (SPARK_WIDTH - 4) / max(count - 1, 1)
        points = " ".join(f"{2 + i * step:.1f},{y(v):.1f}" for i, v in enumerate(values))
        shape = f'<polyline points="{points}" fill="none" stroke="#486581" stroke-width="1.5"/>'
    else:
        width = SPARK_WIDTH / count
        shape = "".join(
            f'<rect x="{i * width:.1f}" y="{y(v):.1f}" width="{max(width - 1, 1):.1f}" '
            f'height="{SPARK_HEIGHT - y(v):.1f}" fill="#486581"/>'
            for i, v in enumerate(values)
        )
    return f'<svg width="{SPARK_WIDTH}" height="{SPARK_HEIGHT}" role="img">{shape}</svg>'


def _values(dependence: "PartialDependence") -> str:
    cells = "".join(
        f'<tr><td>{escape(_label(value))}</td><td class="number">{mean:.4f}</td></tr>'
        for value, mean in zip(dependence.grid, dependence.mean_prediction, strict=True)
    )
    return (
        f"<details><summary>{len(dependence.grid)} values</summary><table>{cells}</table></details>"
    )


def _label(value: object) -> str:
    return value if isinstance(value, str) else format(value, "g")
