"""The report as one self-contained HTML file: charts inlined as SVG, styles inline, no
script and no external asset, so it opens the same in a client's browser, offline, or as a
mail attachment years later.

The charts are drawn with matplotlib, the `charts` extra (95 MB with its font and image
libraries, a quarter of the core install): without it the report has every table and text
and says, where each chart would be, how to add them."""

from html import escape

from readiness.extras import missing_modules
from reports.document import Block, Chart, Heading, Paragraph, Table, evidence_anchor

STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:72rem;color:#1a1a1a;
line-height:1.4}table{border-collapse:collapse;width:100%;margin:.6rem 0 1.2rem;font-size:.85rem}
th,td{border:1px solid #ddd;padding:.25rem .45rem;text-align:left;vertical-align:top}
th{background:#f4f4f4}figure{margin:1rem 0}figure svg{max-width:100%;height:auto}
figcaption{font-size:.8rem;color:#444;white-space:pre-line}nav a{margin-right:1rem}
td.pass{color:#185}td.fail,td.error{color:#b22;font-weight:bold}td.not_available{color:#a60}
"""
OUTCOMES = frozenset({"pass", "fail", "error", "not_available", "not_applicable"})


def _cell(text: str) -> str:
    kind = text.split(" ", maxsplit=1)[0]
    css = f' class="{kind}"' if kind in OUTCOMES else ""
    return f"<td{css}>{escape(text)}</td>"


def _citations(text: str) -> str:
    links = [
        f'<a href="#{evidence_anchor(item)}">{escape(item)}</a>'
        for item in text.split(", ") if item
    ]  # fmt: skip
    return f"<td>{', '.join(links)}</td>"


def _row(table: Table, row: list[str]) -> str:
    cells = "".join(
        _citations(cell) if index == table.cites else _cell(cell) for index, cell in enumerate(row)
    )
    anchor = f' id="{evidence_anchor(row[table.cited])}"' if table.cited is not None else ""
    return f"<tr{anchor}>{cells}</tr>"


def _block(block: Block) -> str:
    if isinstance(block, Heading):
        return f'<h{block.level} id="{escape(block.anchor)}">{escape(block.text)}</h{block.level}>'
    if isinstance(block, Paragraph):
        return f"<p>{escape(block.text)}</p>"
    if isinstance(block, Table):
        head = "".join(f"<th>{escape(c)}</th>" for c in block.columns)
        rows = "".join(_row(block, row) for row in block.rows)
        return f"<table><tr>{head}</tr>{rows}</table>"
    return _figure(block)


CHARTS_MISSING = "chart not drawn: matplotlib is not installed (pip install 'readiness[charts]')"


def _figure(block: Chart) -> str:
    caption = escape("\n".join(block.caption))
    if missing_modules("charts"):
        drawn = f'<p class="missing">{escape(block.title)}: {escape(CHARTS_MISSING)}</p>'
    else:
        from reports import charts

        drawn = charts.svg(block.draw())
    label = escape(block.title)
    return f'<figure aria-label="{label}">{drawn}<figcaption>{caption}</figcaption></figure>'


def render(blocks: list[Block]) -> str:
    title = next((b.text for b in blocks if isinstance(b, Heading)), "Readiness report")
    sections = [b for b in blocks if isinstance(b, Heading) and b.level == 2]
    nav = "".join(f'<a href="#{escape(b.anchor)}">{escape(b.text)}</a>' for b in sections)
    body = "\n".join(_block(b) for b in blocks)
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
        f"<nav>{nav}</nav>\n{body}\n</body></html>\n"
    )
