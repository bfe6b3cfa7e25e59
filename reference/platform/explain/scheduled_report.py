"""The global explanation report, on a schedule, beside the monitors.

Once a period the monitor process explains the champion as it serves now: importance and
partial dependence (`global_report`) over the most recent logged predictions of that
version, with grids from the training split so that reports from different periods line
up. The model file is the registered one, checked against its sha256 like any served
file. The report goes to JSON and HTML under the monitor's `reports/` folder. A period
without traffic produces no report and says so in the log; the schedule goes on.
"""

import logging
import threading
from pathlib import Path

import pandas as pd

from readiness.errors import OperationFailed
from reference.platform.audit.prediction_log import PredictionLog
from reference.platform.explain.global_report import (
    GlobalReport,
    WrittenReport,
    global_report,
    write_report,
)
from reference.platform.explain.schedule import run_scheduled
from reference.platform.model.artifacts import fetch_version
from reference.platform.model.dataset import load_adult
from reference.platform.model.registry import ModelRegistry
from reference.platform.model.runtime import OnnxModel
from reference.platform.model.schema import ColumnRole

LOG = logging.getLogger(__name__)


class ChampionReport:
    """Makes the global report of `model`'s champion on its recent traffic."""

    def __init__(
        self, registry: ModelRegistry, log: PredictionLog, model: str, work: Path, rows: int
    ) -> None:
        self.registry, self.log, self.model, self.work, self.rows = registry, log, model, work, rows

    def __call__(self) -> GlobalReport:
        champion = self.registry.champion(self.model)
        if champion is None:
            raise OperationFailed(f"{self.model} has no champion to explain")
        logged = self.log.latest_predictions(self.model, champion.version, self.rows)
        if not logged:
            raise OperationFailed(
                f"no logged predictions of {self.model} version {champion.version} yet"
            )
        data = load_adult()  # the training grid; under a second, once a period
        features = [c.name for c in data.schema.columns if c.role is ColumnRole.FEATURE]
        frame = pd.DataFrame([{f: r.features.get(f) for f in features} for r in logged])
        served = OnnxModel(
            fetch_version(self.registry, self.model, champion.version, self.work).path, threads=1
        )
        return global_report(
            served.predict, data.schema, frame, model=f"{self.model} version {champion.version}",
            grid_from=data.train,
        )  # fmt: skip


def report_on_schedule(
    make: ChampionReport, folder: Path, every_seconds: float, stop: threading.Event
) -> threading.Thread:
    """A daemon thread writing a report every `every_seconds`, the first after one period
    (a report at start would explain no traffic)."""

    def sink(report: GlobalReport) -> WrittenReport:
        written = write_report(report, folder)
        LOG.info("global report of %s written to %s", report.model, written.html_path)
        return written

    def loop() -> None:
        if not stop.wait(every_seconds):
            run_scheduled(every_seconds, make, sink, stop)

    thread = threading.Thread(target=loop, name="global-report", daemon=True)
    thread.start()
    return thread
