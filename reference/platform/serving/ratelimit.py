"""Per-tenant rate limits (token buckets) and quotas (requests per window).

A bucket refills at `rate` tokens a second up to `burst`; a request takes one token per
instance. When it cannot, the caller learns how long until it could: the `Retry-After`
of a 429. Each tenant has its own bucket, so one tenant's burst never spends another's.
"""

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from readiness.errors import Problem

Clock = Callable[[], float]


class RateLimit(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    rate: float = Field(gt=0, description="tokens (instances) per second")
    burst: float = Field(gt=0, description="bucket size: the largest burst allowed")
    quota: int | None = Field(default=None, ge=1, description="instances per quota window")
    quota_window_s: float = Field(default=86_400.0, gt=0)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after_s: float
    """0 when allowed; otherwise seconds until the same request could pass."""
    reason: str = ""

    @property
    def never(self) -> bool:
        """Refused whatever the wait: the request is larger than the bucket can ever hold."""
        return math.isinf(self.retry_after_s)

    @property
    def retry_after_header(self) -> str:
        return str(max(1, math.ceil(self.retry_after_s))) if not self.never else ""

    def problem(self, detail: str) -> Problem:
        """The refusal a client can act on: 429 with Retry-After when waiting lets the
        request pass, 413 when only a smaller request would (never a Retry-After of
        infinity, which no header can carry)."""
        if self.never:
            return Problem(413, f"{detail}: send fewer instances per request")
        return Problem(429, detail, {"Retry-After": self.retry_after_header})


class TokenBucket:
    def __init__(self, limit: RateLimit, clock: Clock = time.monotonic) -> None:
        self.limit = limit
        self._clock = clock
        self._tokens = limit.burst
        self._updated = clock()
        self._window_start = self._updated
        self._window_used = 0
        self._lock = threading.Lock()

    def take(self, cost: float = 1.0) -> Decision:
        return self._decide(cost, spend=True)

    def check(self, cost: float = 1.0) -> Decision:
        """What `take` would decide, without spending anything."""
        return self._decide(cost, spend=False)

    def _decide(self, cost: float, *, spend: bool) -> Decision:
        with self._lock:
            now = self._clock()
            self._refill(now)
            quota = self._quota_decision(now, cost)
            if quota is not None:
                return quota
            if cost > self.limit.burst:
                return Decision(False, math.inf, f"a request of {cost:g} exceeds the burst size "
                                                 f"of {self.limit.burst:g}")  # fmt: skip
            if self._tokens >= cost:
                if spend:
                    self._tokens -= cost
                    self._window_used += math.ceil(cost)
                return Decision(True, 0.0)
            return Decision(False, (cost - self._tokens) / self.limit.rate, "rate limit")

    def _refill(self, now: float) -> None:
        elapsed = max(0.0, now - self._updated)
        self._tokens = min(self.limit.burst, self._tokens + elapsed * self.limit.rate)
        self._updated = now

    def _quota_decision(self, now: float, cost: float) -> Decision | None:
        if self.limit.quota is None:
            return None
        if now - self._window_start >= self.limit.quota_window_s:
            self._window_start, self._window_used = now, 0
        if self._window_used + cost <= self.limit.quota:
            return None
        remaining = self.limit.quota_window_s - (now - self._window_start)
        return Decision(False, remaining, "quota exhausted")


class TenantLimiter:
    """One bucket per tenant, created on first use from that tenant's limit."""

    def __init__(self, limits: dict[str, RateLimit], clock: Clock = time.monotonic) -> None:
        self._buckets = {tenant: TokenBucket(limit, clock) for tenant, limit in limits.items()}

    def take(self, tenant: str, cost: float = 1.0) -> Decision:
        bucket = self._buckets.get(tenant)
        if bucket is None:  # no limit configured for this tenant
            return Decision(True, 0.0)
        return bucket.take(cost)

    def check(self, tenant: str, cost: float = 1.0) -> Decision:
        bucket = self._buckets.get(tenant)
        return bucket.check(cost) if bucket is not None else Decision(True, 0.0)
