"""The scheduling loop: runs now and then every period, survives a failed run, stops when told."""

import threading
import time
from collections.abc import Callable

import pytest

from readiness.errors import InvalidInput
from reference.platform.explain.schedule import run_scheduled


def stop_after(runs: int, stop: threading.Event, seen: list[float]) -> Callable[[float], None]:
    """A sink that records when each result arrived and stops the loop after `runs`."""

    def sink(result: float) -> None:
        seen.append(result)
        if len(seen) == runs:
            stop.set()

    return sink


def discard(result: object) -> None:
    del result


def test_it_runs_at_once_then_every_period_until_stopped() -> None:
    stop = threading.Event()
    seen: list[float] = []
    started = time.monotonic()
    completed = run_scheduled(0.05, time.monotonic, stop_after(3, stop, seen), stop)
    assert completed == 3
    gaps = [later - earlier for earlier, later in zip([started, *seen], seen, strict=False)]
    assert gaps[0] < 0.04  # the first run does not wait a period
    assert all(gap >= 0.045 for gap in gaps[1:])


def test_a_failed_run_is_handed_to_on_error_and_the_loop_goes_on() -> None:
    stop = threading.Event()
    seen: list[float] = []
    failures: list[Exception] = []
    calls: list[float | Exception] = [ValueError("window was empty"), 1.0, 2.0]

    def make() -> float:
        result = calls.pop(0)
        if isinstance(result, Exception):
            raise result
        return result

    completed = run_scheduled(0.01, make, stop_after(2, stop, seen), stop, on_error=failures.append)
    assert completed == 2
    assert seen == [1.0, 2.0]
    assert [str(f) for f in failures] == ["window was empty"]


def test_a_loop_stopped_before_it_starts_runs_nothing() -> None:
    stop = threading.Event()
    stop.set()
    assert run_scheduled(60, time.monotonic, print, stop) == 0


def test_a_stop_from_another_thread_ends_the_wait_at_once() -> None:
    stop = threading.Event()
    runs: list[int] = []
    worker = threading.Thread(target=lambda: runs.append(run_scheduled(3600, int, discard, stop)))
    worker.start()
    time.sleep(0.05)
    stop.set()
    worker.join(timeout=2)
    assert not worker.is_alive()
    assert runs == [1]


@pytest.mark.parametrize("period", [0, -1.5])
def test_a_period_that_is_not_positive_is_refused(period: float) -> None:
    with pytest.raises(InvalidInput, match=f"^every_seconds must be positive, got {period}$"):
        run_scheduled(period, int, discard, threading.Event())
