"""The PDF is rendered to images (pdfium, as a viewer would) and each heading is looked for
where the PDF's text layer puts it: the pixels there must hold ink, so a heading that is in
the text but not drawn, or drawn off the page, fails."""

import numpy as np
import pypdfium2 as pdfium
import pytest

from reports.bundles import load_run
from reports.document import Block, Table, build, headings
from reports.exports import pdf
from tests.reports.samples import PRODUCTION, SAMPLE_RUNS

SCALE = 1.5
INK = 100
"""Grey level under which a pixel counts as ink (text is near black, the page white)."""


@pytest.fixture(scope="module")
def blocks() -> list[Block]:
    return build(load_run(SAMPLE_RUNS / PRODUCTION))


@pytest.fixture(scope="module")
def document(blocks: list[Block]) -> pdfium.PdfDocument:
    return pdfium.PdfDocument(pdf.render(blocks, created=1795975586.0))


def _drawn(document: pdfium.PdfDocument, text: str) -> bool:
    """Whether `text` is on some page, with ink where the text layer says it is."""
    for index in range(len(document)):
        page = document[index]
        found = page.get_textpage().search(text[:60], match_case=True).get_next()
        if found is None:
            continue
        left, bottom, right, top = page.get_textpage().get_charbox(found[0])
        image = np.asarray(page.render(scale=SCALE, grayscale=True).to_pil().convert("L"))
        height = page.get_size()[1]
        box = image[int((height - top) * SCALE) : int((height - bottom) * SCALE) + 1,
                    int(left * SCALE) : int(right * SCALE) + 1]  # fmt: skip
        return bool(box.size) and bool((box < INK).any())
    return False


def test_every_heading_of_the_report_is_drawn_in_the_pdf(
    blocks: list[Block], document: pdfium.PdfDocument
) -> None:
    missing = [text for text in headings(blocks) if not _drawn(document, text)]
    assert missing == []


def test_the_pdf_outline_is_the_report_s_headings(
    blocks: list[Block], document: pdfium.PdfDocument
) -> None:
    assert [item.get_title() for item in document.get_toc()] == headings(blocks)


def test_charts_are_on_the_pages(document: pdfium.PdfDocument) -> None:
    images = sum(
        1 for index in range(len(document)) for item in document[index].get_objects()
        if item.type == pdfium.raw.FPDF_PAGEOBJ_IMAGE
    )  # fmt: skip
    assert images == 10


def test_the_same_report_gives_the_same_pdf(blocks: list[Block]) -> None:
    overview = blocks[: blocks.index(next(b for b in blocks if isinstance(b, Table)))]
    assert pdf.render(overview, created=1.0) == pdf.render(overview, created=1.0)
