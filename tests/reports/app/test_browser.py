"""A person's view: `readiness dashboard` started for real on the sample runs, every page
opened in headless Chromium (Debian's `chromium`, driven by Playwright), its visible content
asserted, and a screenshot of each saved (to $READINESS_ARTIFACTS, default
`test-artifacts/screenshots`). Without a browser the test says plainly that it was skipped."""

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from reference.platform.deploy.processes import free_port, launch, stop_session, wait_until_ready
from tests.reports.samples import SAMPLE_RUNS

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(os.environ.get("READINESS_ARTIFACTS", "test-artifacts")) / "screenshots"
START_TIMEOUT_S = 60
PAGE_TIMEOUT_MS = 60_000
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
"""Without the background-networking flags Chromium keeps trying to reach its vendor's
hosts, which this machine's closed network refuses."""
PAGES = {
    "overview": ("h1", "Readiness of readiness-microservice-prototype"),
    "dimensions": ("h1", "Architecture: 1/5 (target 4)"),
    "timelines": ("h1", "Scenario timelines"),
    "roadmap": ("h1", "Roadmap"),
    "compare": ("h1", "Compare"),
    "export": ("button", "Prepare the reports"),
    "bundles": ("h1", "Bundles"),
}
"""Each page's own element (the navigation names the pages too, so a page's name alone
would be found before the page has drawn)."""

pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no browser: install Debian's chromium package (.ci/run does) to open the app's pages",
)


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`readiness dashboard` on the sample runs, as a user starts it; stopped by PID."""
    port = free_port()
    log = tmp_path_factory.mktemp("dashboard") / "dashboard.log"
    command = [sys.executable, "-m", "readiness", "dashboard", "--runs", str(SAMPLE_RUNS),
               "--port", str(port)]  # fmt: skip
    process = launch(command, log)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(process, f"{url}/_stcore/health", log, START_TIMEOUT_S)
        yield url
    finally:
        stop_session(process.pid)


@pytest.fixture(scope="module")
def browser() -> Iterator["Browser"]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: "Browser") -> Iterator["Page"]:
    opened = browser.new_page(viewport={"width": 1400, "height": 1000})
    yield opened
    opened.close()


def _settled(page: "Page", element: str, expected: str) -> None:
    """Wait for the page's own element, then for its script to finish (Streamlit's status
    widget shows while a script runs), so what is asserted and shot is the finished page."""
    page.locator(element, has_text=expected).first.wait_for(timeout=PAGE_TIMEOUT_MS)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')",
        timeout=PAGE_TIMEOUT_MS,
    )


def test_every_page_of_the_running_app_shows_its_content(dashboard: str, page: "Page") -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for path, (element, expected) in PAGES.items():
        page.goto(f"{dashboard}/{'' if path == 'overview' else path}")
        _settled(page, element, expected)
        assert page.get_by_text("Traceback").count() == 0
        assert page.locator('[data-testid="stException"]').count() == 0
        page.screenshot(path=str(ARTIFACTS / f"{path}.png"), full_page=True)
    sidebar = page.locator('[data-testid="stSidebar"]')
    assert sidebar.get_by_text("Run", exact=True).count() == 1
    assert sidebar.get_by_text("Policy", exact=True).count() == 1


def test_the_timeline_page_draws_the_chosen_scenario(dashboard: str, page: "Page") -> None:
    page.goto(f"{dashboard}/timelines")
    _settled(page, "h1", "Scenario timelines")
    page.locator('[data-testid="stImage"] img').first.wait_for(timeout=PAGE_TIMEOUT_MS)
    assert page.locator('[data-testid="stImage"] img').count() == 1
    assert page.get_by_text("action: nominal traffic").count() == 1
    page.screenshot(path=str(ARTIFACTS / "timeline-steady-state.png"), full_page=True)


def test_choosing_another_run_in_the_sidebar_redraws_the_page(dashboard: str, page: "Page") -> None:
    page.goto(dashboard)
    _settled(page, "h1", "Readiness of readiness-microservice-prototype")
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.locator('[data-testid="stSelectbox"]').first.click()
    page.get_by_role("option", name="readiness-microservice-production").click()
    _settled(page, "h1", "Readiness of readiness-microservice-production")
    page.wait_for_timeout(2000)  # a choice the app dropped would show by now
    _settled(page, "h1", "Readiness of readiness-microservice-production")
    assert page.get_by_text("Served model: adult-income version 1").count() == 1
    assert page.get_by_text("42/50").count() >= 1
    page.screenshot(path=str(ARTIFACTS / "overview-production.png"), full_page=True)
