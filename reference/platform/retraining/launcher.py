"""The alert action `retrain` as a process of its own: the monitor must never block on a
training run (minutes), nor die with it.

`SubprocessRetrainer` starts `readiness retrain --trigger performance --evidence ALERT`
with the home's `READINESS_HOME`, its output in a log file under `runs/`, in a session of
its own (a signal to the monitor does not reach it). While one it started still runs, a
second alert starts nothing and says so; the pipeline's own lock refuses a retraining
started by anyone else at the same time.
"""

import os
import subprocess
import sys
import time
from collections.abc import Sequence

from readiness.home import HOME_VARIABLE, Home
from reference.platform.alerting.engine import Alert

READINESS = (sys.executable, "-m", "readiness")


class SubprocessRetrainer:
    def __init__(
        self, home: Home, arguments: Sequence[str] = (), program: Sequence[str] = READINESS
    ) -> None:
        """`arguments` go after the command's own (e.g. `--target`, `--fairness-policy`)."""
        self.home, self.arguments, self.program = home, tuple(arguments), tuple(program)
        self.process: subprocess.Popen[bytes] | None = None

    def __call__(self, alert: Alert) -> str:
        if self.process is not None and self.process.poll() is None:
            return f"a retraining is already running (pid {self.process.pid}); none started"
        evidence = (
            f"alert {alert.rule} ({alert.severity}) on {alert.model} version {alert.version}: "
            f"{alert.condition}, value {alert.value:.4g}"
        )
        command = [*self.program, "retrain", "--trigger", "performance",
                   "--evidence", evidence, *self.arguments]  # fmt: skip
        self.home.runs.mkdir(parents=True, exist_ok=True)
        output = self.home.runs / f"retrain-{time.strftime('%Y%m%dT%H%M%S')}-{alert.id}.log"
        with output.open("wb") as log:
            self.process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, HOME_VARIABLE: str(self.home.root)},
                start_new_session=True,
            )
        return (
            f"started readiness retrain --trigger performance (pid {self.process.pid}), "
            f"output in {output}"
        )
