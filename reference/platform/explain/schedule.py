"""Run a job at a fixed rate until told to stop: the loop behind scheduled reports.

The monitoring service runs it in a thread of its own, for example
`run_scheduled(86400, make_report, sink, stop)` with `make_report` calling
`global_report.global_report` and `sink` calling `global_report.write_report`. A failed run
is handed to `on_error` (logged by default) and the loop goes on: one bad window must not
end the reports for good. Runs start every `every_seconds` from the first, whatever each
takes; a run that overruns its period delays the next, and missed periods are skipped,
not run back to back.
"""

import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from readiness.errors import InvalidInput

Result = TypeVar("Result")

log = logging.getLogger(__name__)


def run_scheduled(
    every_seconds: float,
    make: Callable[[], Result],
    sink: Callable[[Result], object],
    stop: threading.Event,
    *,
    on_error: Callable[[Exception], None] | None = None,
) -> int:
    """Call `sink(make())` now and then every `every_seconds` until `stop` is set.

    Returns how many runs completed (`make` and `sink` both without raising).
    """
    if every_seconds <= 0:
        raise InvalidInput(f"every_seconds must be positive, got {every_seconds}")
    completed = 0
    next_start = time.monotonic()
    while not stop.is_set():
        try:
            sink(make())
            completed += 1
        except Exception as problem:  # a scheduled job outlives a failed run
            (on_error or _log_failure)(problem)
        # a run that overran its period starts the next at once, without catching up on more
        next_start = max(next_start + every_seconds, time.monotonic())
        stop.wait(next_start - time.monotonic())
    return completed


def _log_failure(problem: Exception) -> None:
    log.error("scheduled run failed: %s", problem, exc_info=problem)
