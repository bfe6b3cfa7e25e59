"""The scheduled global report explains the champion on its recent logged traffic."""

import math
import threading
import time
from pathlib import Path

import pytest

from readiness.errors import OperationFailed
from readiness.home import Home
from reference.platform.audit.pii import PiiRedactor, load_pii_key, load_pii_policy
from reference.platform.audit.prediction_log import Answer, PredictionLog
from reference.platform.explain.scheduled_report import ChampionReport, report_on_schedule
from reference.platform.model.dataset import AdultDataset
from reference.platform.model.registry import ModelRegistry
from reference.platform.model.served import SERVED_MODEL


def log_traffic(home: Home, adult: AdultDataset, rows: int) -> None:
    """`rows` test rows as the gateway logs them, answered by the champion (version 2)."""
    redactor = PiiRedactor(load_pii_policy(), adult.schema, load_pii_key(home.pii_key))
    log = PredictionLog(home.audit_url, redactor)
    for i, record in enumerate(adult.test[:rows].to_dict("records")):
        features = {str(k): None if isinstance(v, float) and math.isnan(v) else v
                    for k, v in record.items() if k != "label"}  # fmt: skip
        log.record(f"r-{i}", "acme", SERVED_MODEL, [Answer(0, "2", 0.3, 0)], [features])
    log.close()


def champion_report(home: Home, work: Path) -> ChampionReport:
    registry = ModelRegistry(home.mlflow_tracking_uri)
    return ChampionReport(registry, PredictionLog(home.audit_url), SERVED_MODEL, work, 100)


def test_without_traffic_there_is_nothing_to_explain(operated_home: Home, tmp_path: Path) -> None:
    make = champion_report(operated_home, tmp_path)
    with pytest.raises(OperationFailed, match="no logged predictions of adult-income version 2"):
        make()


def test_the_schedule_writes_the_champions_report_on_its_recent_traffic(
    operated_home: Home, adult: AdultDataset, tmp_path: Path
) -> None:
    log_traffic(operated_home, adult, 150)
    make = champion_report(operated_home, tmp_path)
    stop = threading.Event()
    folder = tmp_path / "reports"
    thread = report_on_schedule(make, folder, 0.5, stop)
    deadline = time.monotonic() + 120
    while not list(folder.glob("*.json")) and time.monotonic() < deadline:
        time.sleep(0.5)
    stop.set()
    thread.join(timeout=120)
    written = sorted(folder.glob("*.json"))[0]
    text = written.read_text()
    assert '"model": "adult-income version 2"' in text
    assert '"rows": 100' in text  # the most recent 100 of the 150 logged
    assert written.with_suffix(".html").is_file()
