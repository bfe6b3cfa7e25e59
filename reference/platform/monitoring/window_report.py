"""The drift report of one monitor window, for the person who reads its ticket.

The monitor keeps sketches, not rows; the rows behind a window are the prediction log's
entries of that model version in the window's span (features after the PII policy, which
never touches model inputs). They are rendered by Evidently against the training rows the
model learnt from, so the report shows what the PSI in the alert measured.
"""

from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel

from readiness.errors import InvalidInput
from reference.platform.audit.prediction_log import PredictionLog
from reference.platform.model.dataset import load_adult
from reference.platform.monitoring.drift_report import DriftReportSummary, render_drift_report
from reference.platform.monitoring.store import MonitorStore

MAX_ROWS = 200_000


class WindowReport(BaseModel):
    window_id: int
    model: str
    version: str
    monitor_psi: dict[str, float]
    """What the monitor measured on the window (training bins)."""
    report: DriftReportSummary


def report_window(audit_url: str, model: str, window_id: int | None, path: Path) -> WindowReport:
    """Render window `window_id` (default: the latest drift window of `model`)."""
    stream = MonitorStore(audit_url).windows(model, "stream")
    windows = [w for w in stream if "drift" in w["result"]]
    if not windows:
        raise InvalidInput(
            f"no drift window of model '{model}' in {audit_url}: the monitor judges drift on "
            "windows of at least its min_rows predictions"
        )
    window = _chosen(windows, window_id, model)
    logged = PredictionLog(audit_url).predictions_between(
        model, window["version"], window["started"], window["ended"], MAX_ROWS
    )
    if not logged:
        raise InvalidInput(
            f"window {window['id']} of {model} has no logged predictions left (pruned?)"
        )
    data = load_adult()
    summary = render_drift_report(
        data.schema, data.train, pd.DataFrame([r.features for r in logged]), path
    )
    return WindowReport(
        window_id=window["id"], model=model, version=window["version"],
        monitor_psi=window["result"]["drift"]["psi"], report=summary,
    )  # fmt: skip


def _chosen(windows: list[dict[str, Any]], window_id: int | None, model: str) -> dict[str, Any]:
    if window_id is None:
        return windows[-1]
    for window in windows:
        if window["id"] == window_id:
            return window
    known = ", ".join(str(w["id"]) for w in windows[-5:])
    raise InvalidInput(
        f"--window {window_id} is not a drift window of model '{model}' (latest: {known})"
    )
