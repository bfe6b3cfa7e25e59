"""The alert action's retrainer: `readiness retrain` as a process that the monitor never
waits for."""

import os
import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from readiness.home import Home
from reference.platform.alerting.engine import Alert
from reference.platform.alerting.rules import Severity
from reference.platform.retraining.launcher import SubprocessRetrainer

ALERT = Alert(
    rule="quality-below-minimum", severity=Severity.CRITICAL, model="adult-income", version="4",
    summary="s", condition="readiness_model_accuracy < 0.75", runbook="r", value=0.7123,
    fired_at=datetime.now(UTC),
)  # fmt: skip
ECHO = (sys.executable, "-c", "import os, sys; print(sys.argv[1:], os.environ['READINESS_HOME'])")
SLEEP = (sys.executable, "-c", "import time; time.sleep(30)")


def test_it_starts_readiness_retrain_with_the_alert_as_evidence(tmp_path: Path) -> None:
    home = Home(tmp_path / "home")
    retrainer = SubprocessRetrainer(home, ["--quick"], program=ECHO)
    said = retrainer(ALERT)
    assert retrainer.process is not None
    assert retrainer.process.wait(timeout=30) == 0
    (log,) = home.runs.glob("retrain-*.log")
    assert said.endswith(f"output in {log}")
    assert log.read_text().strip() == str([
        "retrain", "--trigger", "performance", "--evidence",
        "alert quality-below-minimum (critical) on adult-income version 4: "
        "readiness_model_accuracy < 0.75, value 0.7123", "--quick",
    ]) + f" {home.root}"  # fmt: skip


def test_it_returns_at_once_and_starts_no_second_while_one_runs(tmp_path: Path) -> None:
    retrainer = SubprocessRetrainer(Home(tmp_path / "home"), program=SLEEP)
    started = time.monotonic()
    retrainer(ALERT)
    assert time.monotonic() - started < 5
    process = retrainer.process
    assert process is not None
    try:
        assert retrainer(ALERT) == (
            f"a retraining is already running (pid {process.pid}); none started"
        )
        assert retrainer.process is process
    finally:
        os.kill(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
