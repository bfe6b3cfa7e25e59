import re
from html.parser import HTMLParser

import pytest

from reports.bundles import load_run
from reports.document import Block, build, headings
from reports.exports import html
from tests.reports.samples import PRODUCTION, SAMPLE_RUNS


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.headings: list[str] = []
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.external: list[str] = []
        self._in_heading = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.add(str(found["id"]))
        if tag == "a" and found.get("href"):
            self.links.append(str(found["href"]))
        if tag in ("script", "link", "img", "iframe") or found.get("src"):
            self.external.append(tag)
        if re.fullmatch(r"h[1-3]", tag):
            self._in_heading = True
            self.headings.append("")

    def handle_endtag(self, tag: str) -> None:
        if re.fullmatch(r"h[1-3]", tag):
            self._in_heading = False

    def handle_data(self, data: str) -> None:
        if self._in_heading:
            self.headings[-1] += data


@pytest.fixture(scope="module")
def blocks() -> list[Block]:
    return build(load_run(SAMPLE_RUNS / PRODUCTION))


@pytest.fixture(scope="module")
def text(blocks: list[Block]) -> str:
    return html.render(blocks)


@pytest.fixture(scope="module")
def page(text: str) -> _Page:
    parsed = _Page()
    parsed.feed(text)
    return parsed


def test_the_html_report_shows_every_heading_of_the_report(
    blocks: list[Block], page: _Page
) -> None:
    assert page.headings == headings(blocks)


def test_the_html_report_needs_nothing_outside_itself(page: _Page) -> None:
    assert page.external == []


def test_every_link_in_the_html_report_lands_on_something_in_it(page: _Page) -> None:
    assert len(page.links) > 40  # the sections, and each finding's evidence
    assert [link for link in page.links if link.removeprefix("#") not in page.ids] == []


def test_charts_are_inline_svg_with_their_text_kept(text: str) -> None:
    assert text.count("<svg") == 10  # the scorecard, eight timelines, the roadmap
    assert "seconds since the scenario started" in text
