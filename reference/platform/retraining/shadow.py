"""The challenger in shadow mode on live traffic: it answers every champion request, its
answers are recorded and never returned, and the two are compared.

The step undoes itself: the routing table found at the start is put back whatever happens
(a human's canary included), before anything is decided. Agreement is measured on
decisions (probability at the decision threshold), the thing a client sees; the mean
absolute difference of probabilities is reported beside it.
"""

import time
from collections.abc import Callable
from enum import StrEnum

import numpy as np
from pydantic import BaseModel

from reference.platform.audit.prediction_log import ShadowComparison
from reference.platform.model.evaluation import DECISION_THRESHOLD
from reference.platform.retraining.admin import DeploymentAdmin, RoutingTable
from reference.platform.retraining.offline import Check
from reference.platform.retraining.policy import ShadowGate


class ShadowStatus(StrEnum):
    PASSED = "passed"
    DISAGREED = "disagreed"
    TIMED_OUT = "timed-out"
    SKIPPED = "skipped"


class ShadowResult(BaseModel):
    status: ShadowStatus
    served_champion: str | None
    """The version the deployment served while the challenger shadowed it."""
    comparisons: int
    agreement: float | None
    mean_abs_difference: float | None
    waited_s: float
    checks: list[Check]

    @classmethod
    def skipped(cls, why: str) -> "ShadowResult":
        return cls(
            status=ShadowStatus.SKIPPED, served_champion=None, comparisons=0, agreement=None,
            mean_abs_difference=None, waited_s=0.0,
            checks=[Check(name="shadow", passed=False, detail=f"shadow mode not run: {why}")],
        )  # fmt: skip


def watch_shadow(
    admin: DeploymentAdmin,
    challenger: str,
    gate: ShadowGate,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> ShadowResult:
    """Shadow `challenger` until the gate's comparisons arrive or its time is up."""
    before = admin.routing()
    kept_pins = {t: v for t, v in before.pins.items() if v == before.champion}
    admin.route(RoutingTable(champion=before.champion, challenger=challenger, shadow=True,
                             pins=kept_pins))  # fmt: skip
    started = clock()
    try:
        while True:
            seen = [c for c in admin.shadow_comparisons() if c.shadow_version == challenger]
            if len(seen) >= gate.min_comparisons or clock() - started >= gate.timeout_s:
                break
            sleep(gate.poll_s)
    finally:
        admin.route(before)
    return judge(seen, before.champion, gate, clock() - started)


def judge(
    seen: list[ShadowComparison], champion: str, gate: ShadowGate, waited_s: float
) -> ShadowResult:
    """The shadow gate on the comparisons seen; a pure function of them."""
    count = len(seen)
    agreement = difference = None
    if seen:
        served = np.array([c.served_probability for c in seen])
        shadow = np.array([c.shadow_probability for c in seen])
        same = (served >= DECISION_THRESHOLD) == (shadow >= DECISION_THRESHOLD)
        agreement, difference = float(same.mean()), float(np.abs(served - shadow).mean())
    enough = count >= gate.min_comparisons
    checks = [
        Check(
            name="shadow-comparisons",
            passed=enough,
            detail=(
                f"shadow mode compared {count} live requests (policy: {gate.min_comparisons})"
                if enough
                else f"shadow mode timed out after {waited_s:.1f} s with {count} of the "
                f"{gate.min_comparisons} comparisons the policy needs"
            ),
        )
    ]
    if enough and agreement is not None:
        agrees = agreement >= gate.min_agreement
        checks.append(
            Check(
                name="shadow-agreement",
                passed=agrees,
                detail=f"challenger took champion {champion}'s decision on {agreement:.1%} of "
                f"{count} live requests ({'at least' if agrees else 'below'} the policy's "
                f"{gate.min_agreement:.1%})",
            )
        )
    status = (
        ShadowStatus.TIMED_OUT if not enough
        else ShadowStatus.PASSED if all(c.passed for c in checks)
        else ShadowStatus.DISAGREED
    )  # fmt: skip
    return ShadowResult(
        status=status, served_champion=champion, comparisons=count, agreement=agreement,
        mean_abs_difference=difference, waited_s=waited_s, checks=checks,
    )  # fmt: skip
