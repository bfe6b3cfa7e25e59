"""Continuous probes: sample the target's metrics while a scenario runs.

A thread scrapes every declared metrics endpoint (the service's and its monitors') and the
health endpoint at a fixed interval, so detection delay and recovery time can be read off
the samples afterwards. A scrape that fails leaves a gap (and a health sample of 0), never
invented zeros.
"""

import threading
import time
from collections.abc import Callable

import pandas as pd

from harness.metrics import scrape
from harness.recording import SAMPLE_COLUMNS
from harness.target import Target

METRICS_ENDPOINTS = ("metrics", "monitor_metrics")


class Sampler:
    def __init__(
        self, target: Target, every_s: float, clock: Callable[[], float] = time.time
    ) -> None:
        self.target, self.every_s, self.clock = target, every_s, clock
        self._rows: list[tuple[float, str, str, str, float]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def sample_once(self) -> None:
        now = self.clock()
        headers = self.target.headers()
        for endpoint in METRICS_ENDPOINTS:
            if not self.target.has(endpoint):
                continue
            for sample in scrape(self.target.url(endpoint), headers):
                self._rows.append((now, endpoint, sample.metric, sample.labels, sample.value))
        try:
            healthy = self.target.get("health", timeout=max(1.0, self.every_s)).is_success
        except Exception:
            healthy = False
        self._rows.append((now, "health", "up", "", 1.0 if healthy else 0.0))

    def _loop(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            self.sample_once()
            self._stop.wait(max(0.0, self.every_s - (time.monotonic() - started)))

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="sampler", daemon=True)
        self._thread.start()

    def stop(self) -> pd.DataFrame:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        self.sample_once()  # the state after the rollbacks
        return pd.DataFrame.from_records(self._rows, columns=list(SAMPLE_COLUMNS))
