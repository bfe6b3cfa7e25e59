"""Probation of a newly swapped model: it must prove itself on real traffic before it
becomes the one to fall back to.

A release can verify and pass its canaries and still be wrong for the device: too slow for
its latency budget, or failing on inputs the canaries did not cover. For its first
predictions the device watches the new version's p99 latency and error rate; degraded, it
is rolled back to the last good version; after enough good predictions it is confirmed.
"""

from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np


class Verdict(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    DEGRADED = "degraded"


@dataclass
class Probation:
    version: str
    budget_ms: float
    judge_after: int = 50
    """Predictions before the latency is judged (a p99 of fewer says little)."""
    confirm_after: int = 300
    max_error_rate: float = 0.01
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    reason: str = ""

    def observe(self, latency_ms: float | None) -> None:
        """One prediction: its latency, or None when the model failed on it."""
        if latency_ms is None:
            self.errors += 1
        else:
            self.latencies.append(latency_ms)

    def verdict(self) -> Verdict:
        seen = len(self.latencies) + self.errors
        if seen < self.judge_after:
            return Verdict.PENDING
        error_rate = self.errors / seen
        if error_rate > self.max_error_rate:
            self.reason = f"error rate {error_rate:.1%} over {seen} predictions"
            return Verdict.DEGRADED
        p99 = float(np.percentile(self.latencies, 99)) if self.latencies else 0.0
        if p99 > self.budget_ms:
            self.reason = (f"p99 latency {p99:.1f} ms over {seen} predictions, "
                           f"budget {self.budget_ms:.0f} ms")  # fmt: skip
            return Verdict.DEGRADED
        return Verdict.CONFIRMED if seen >= self.confirm_after else Verdict.PENDING
