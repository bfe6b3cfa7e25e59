"""The report as a PDF, for a client meeting: the same blocks as the HTML report, charts as
images, headings in the PDF outline. Pure Python (fpdf2, with the DejaVu fonts matplotlib
ships), so no browser or system library is needed to make one."""

import io
from datetime import UTC, datetime
from pathlib import Path

import matplotlib
from fpdf import FPDF
from fpdf.enums import Align, WrapMode
from fpdf.fonts import FontFace

from reports import charts
from reports.document import Block, Chart, Heading, Paragraph, Table

FONT = "DejaVu"
FONTS = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
HEADING_SIZES = {1: 17, 2: 14, 3: 11}
BODY_SIZE, TABLE_SIZE, CAPTION_SIZE = 9, 6.5, 7
CHART_DPI = 130
MM_PER_INCH = 25.4


class _Report(FPDF):
    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=7)
        self.cell(0, 6, f"readiness report, page {self.page_no()}/{{nb}}", align=Align.C)


def _heading(pdf: FPDF, block: Heading) -> None:
    if block.level == 2 and pdf.get_y() > pdf.t_margin + pdf.eph * 2 / 3:
        pdf.add_page()  # a section does not start in the last third of a page
    pdf.set_font(FONT, "B", HEADING_SIZES.get(block.level, BODY_SIZE))
    pdf.start_section(block.text, level=block.level - 1)
    pdf.multi_cell(0, HEADING_SIZES.get(block.level, BODY_SIZE) * 0.5, block.text,
                   new_x="LMARGIN", new_y="NEXT", align=Align.L)  # fmt: skip
    pdf.ln(1.5)


def _paragraph(pdf: FPDF, block: Paragraph) -> None:
    pdf.set_font(FONT, size=BODY_SIZE)
    pdf.multi_cell(0, 4.4, block.text, new_x="LMARGIN", new_y="NEXT", align=Align.L)
    pdf.ln(2)


def _table(pdf: FPDF, block: Table) -> None:
    pdf.set_font(FONT, size=TABLE_SIZE)
    with pdf.table(
        col_widths=tuple(block.widths), text_align="LEFT", line_height=3.2,
        wrapmode=WrapMode.CHAR, padding=0.8,
        headings_style=FontFace(emphasis="BOLD", fill_color=(240, 240, 240)),
    ) as table:  # fmt: skip
        table.row(block.columns)
        for row in block.rows:
            table.row(row)
    pdf.ln(3)


def _chart(pdf: FPDF, block: Chart) -> None:
    figure = block.draw()
    width_in, height_in = figure.get_size_inches()
    image = charts.png(figure, dpi=CHART_DPI)
    width = pdf.epw
    height = width * height_in / width_in
    usable = pdf.eph - 4
    if height > usable:  # taller than a page: scale down to fit one
        width, height = width * usable / height, usable
    if pdf.get_y() + height > pdf.page_break_trigger:
        pdf.add_page()
    pdf.image(io.BytesIO(image), x=pdf.l_margin, w=width, h=height)
    if block.caption:
        pdf.set_font(FONT, size=CAPTION_SIZE)
        pdf.multi_cell(0, 3.4, "\n".join(block.caption), new_x="LMARGIN", new_y="NEXT",
                       align=Align.L)  # fmt: skip
    pdf.ln(3)


def render(blocks: list[Block], created: float | None = None) -> bytes:
    """The PDF's bytes; `created` (the run's time) is its creation date, so the same
    report renders the same bytes twice."""
    pdf = _Report(format="A4")
    pdf.set_margins(14, 14, 14)
    pdf.set_auto_page_break(True, margin=16)
    pdf.add_font(FONT, "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_creation_date(datetime.fromtimestamp(created or 0, UTC))
    title = next((b.text for b in blocks if isinstance(b, Heading)), "Readiness report")
    pdf.set_title(title)
    pdf.set_creator("readiness")
    pdf.add_page()
    for block in blocks:
        if isinstance(block, Heading):
            _heading(pdf, block)
        elif isinstance(block, Paragraph):
            _paragraph(pdf, block)
        elif isinstance(block, Table):
            _table(pdf, block)
        else:
            _chart(pdf, block)
    return bytes(pdf.output())
