"""The app on a folder of 100 bundles, measured: how long the catalogue takes to read (cold
and cached) against 1 and 10 bundles, against reading every bundle whole (evidence and time
series, what an app without a catalogue would do), and how long the overview takes to open
in a real browser (headless Chromium on `readiness dashboard`), first load and again.

Run: `python -m benchmarks.dashboard [--source DIR] [--loads 5]`. The bundles are copies of
the real runs under `--source` (default: the tests' two sample runs), each with its own run
id and time, so the trend and the run list are those of 100 runs. Results also go to
`benchmarks/results/dashboard.json`.
"""

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from rich.console import Console
from rich.table import Table

from reference.platform.deploy.processes import free_port, launch, stop_session, wait_until_ready
from reports.bundles import discover
from reports.evidence import EvidenceIndex
from reports.timeline import scenario_timelines

RESULTS = Path(__file__).parent / "results"
SAMPLES = Path(__file__).parents[1] / "tests" / "reports" / "data" / "runs"
SIZES = (1, 10, 100)
CHROMIUM_FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
console = Console()


def make_runs(source: Path, folder: Path, count: int) -> Path:
    """`count` bundles copied from the runs under `source`, each a day apart."""
    originals = sorted(p for p in source.iterdir() if (p / "assessment.json").is_file())
    if not originals:
        raise SystemExit(f"--source: no assessed bundle under {source}")
    runs = folder / f"runs-{count}"
    for index in range(count):
        original = originals[index % len(originals)]
        run_id = f"{index:03d}-{original.name}"
        copy = runs / run_id
        shutil.copytree(original, copy)
        started = 1_790_000_000.0 + index * 86_400
        for name in ("manifest.json", "assessment.json"):
            document = json.loads((copy / name).read_text())
            holder = document.get("subject", document)
            holder["run_id"] = run_id
            if name == "manifest.json":
                document["started"] = started
            else:
                holder["run_started"] = started
            (copy / name).write_text(json.dumps(document))
    return runs


def timed(action: Callable[[], object], repeats: int) -> list[float]:
    found = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        found.append(time.perf_counter() - started)
    return found


def read_whole(runs: Path) -> None:
    """What an app without a catalogue does: every bundle's evidence and time series."""
    for run in discover(runs).runs:
        EvidenceIndex.of(run.path, run.assessment)
        scenario_timelines(run.path, run.manifest)


def _settled(page: object, expected: str) -> None:
    from playwright.sync_api import Page

    assert isinstance(page, Page)
    page.get_by_text(expected, exact=False).first.wait_for(timeout=120_000)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=120_000
    )


def browser_loads(runs: Path, loads: int) -> list[float] | None:
    """Seconds from navigation to the finished overview: the first load (the server reads
    the catalogue), then `loads` more (cached)."""
    chromium = shutil.which("chromium")
    if chromium is None:
        console.print("[yellow]no chromium: the browser measurement is skipped[/]")
        return None
    from playwright.sync_api import sync_playwright

    port = free_port()
    command = [sys.executable, "-m", "readiness", "dashboard", "--runs", str(runs),
               "--port", str(port)]  # fmt: skip
    log = runs.parent / f"dashboard-{port}.log"
    process = launch(command, log)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(process, f"{url}/_stcore/health", log, 120.0)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
            seconds = []
            for _ in range(loads + 1):
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                started = time.perf_counter()
                page.goto(url)
                _settled(page, "Scorecard")
                seconds.append(time.perf_counter() - started)
                page.close()
            browser.close()
        return seconds
    finally:
        stop_session(process.pid)


def _ms(values: list[float], quantile: float) -> float:
    ordered = sorted(values)
    return 1000 * ordered[min(int(quantile * len(ordered)), len(ordered) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=SAMPLES)
    parser.add_argument("--loads", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=7)
    options = parser.parse_args()
    results: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="dashboard-bench-") as scratch:
        folders = {n: make_runs(options.source, Path(scratch), n) for n in SIZES}
        table = Table(title="catalogue: read the list of runs (manifest + assessment of each)")
        for column in ("bundles", "cold ms", "p50 ms", "p95 ms", "x of 1 bundle"):
            table.add_column(column, justify="right")
        base = 0.0
        for count, runs in folders.items():
            cold = timed(partial(discover, runs), 1)[0]
            warm = timed(partial(discover, runs), options.repeats)
            base = base or statistics.median(warm)
            ratio = statistics.median(warm) / base
            table.add_row(str(count), f"{cold * 1000:.0f}", f"{_ms(warm, 0.5):.0f}",
                          f"{_ms(warm, 0.95):.0f}", f"{ratio:.1f}")  # fmt: skip
            results[f"catalogue_{count}"] = {"cold_s": cold, "warm_s": warm}
        console.print(table)
        whole = timed(partial(read_whole, folders[100]), 1)[0]
        catalogue = statistics.median(results["catalogue_100"]["warm_s"])  # type: ignore[index]
        console.print(
            f"reading 100 bundles whole (evidence + time series): {whole:.1f} s, "
            f"{whole / catalogue:.0f}x the catalogue's {catalogue * 1000:.0f} ms"
        )
        results["whole_100_s"] = whole
        loads = Table(title="overview in headless Chromium: navigation to finished page")
        for column in ("bundles", "first load s", "again p50 s", "again p95 s"):
            loads.add_column(column, justify="right")
        for count in (1, 100):
            seconds = browser_loads(folders[count], options.loads)
            if seconds is None:
                break
            first, again = seconds[0], seconds[1:]
            loads.add_row(str(count), f"{first:.2f}", f"{_ms(again, 0.5) / 1000:.2f}",
                          f"{_ms(again, 0.95) / 1000:.2f}")  # fmt: skip
            results[f"browser_{count}"] = seconds
        console.print(loads)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "dashboard.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
