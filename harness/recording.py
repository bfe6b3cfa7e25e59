"""What one scenario run left behind, in the form measures read: step times and outputs,
samples of the target's metrics, and every request the traffic generator made."""

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from readiness.descriptor import SLOs

SAMPLE_COLUMNS = ("time", "source", "metric", "labels", "value")
REQUEST_COLUMNS = (
    "time",
    "latency_ms",
    "status",
    "version",
    "kind",
    "error",
    "transform",
    "defect",
    "request_id",
)
"""`defect` names what a transform deliberately broke in the request ("" when valid);
`request_id` is the id a 2xx answer named (the key to its results on a stream)."""
RESULT_COLUMNS = ("results", "actions", "completed_at")
"""Added to the requests of a target with a results endpoint once the run has drained:
prediction rows and actions per accepted request, and when its last action was taken."""


@dataclass(frozen=True)
class StepTimes:
    name: str
    started: float
    ended: float
    status: str
    output: Any = None


@dataclass
class Recording:
    scenario: str
    started: float
    ended: float = 0.0
    slos: SLOs | None = None
    steps: dict[str, StepTimes] = field(default_factory=dict)
    samples: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=SAMPLE_COLUMNS))
    requests: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=REQUEST_COLUMNS))
    follow_up: str = ""
    """How following up the accepted requests' results went (targets with a results
    endpoint)."""

    def moment(self, step: str | None) -> float:
        """When the named step started (the fault's known moment), or the scenario start."""
        if step is None:
            return self.started
        found = self.steps.get(step)
        return found.started if found else self.started

    def ran(self, step: str | None) -> bool:
        return step is None or (step in self.steps and self.steps[step].status == "succeeded")
