"""What a retraining decided and on what evidence: the result object every view renders."""

from enum import StrEnum

from pydantic import BaseModel

from reference.platform.alerting.engine import ActionOutcome
from reference.platform.retraining.offline import Check, OfflineComparison
from reference.platform.retraining.shadow import ShadowResult
from reference.platform.retraining.triggers import RetrainingTrigger


class Decision(StrEnum):
    PROMOTE = "promote"
    KEEP = "keep"
    """Keep the champion: the challenger was refused, and an alert says why."""


def decide(checks: list[Check]) -> Decision:
    """Promote only when every check ran and passed; a check that did not run is absent
    from the list, and the gate that needs it adds a failed one instead."""
    return Decision.PROMOTE if checks and all(c.passed for c in checks) else Decision.KEEP


class RetrainingOutcome(BaseModel):
    """What `readiness retrain --json` prints."""

    model: str
    trigger: RetrainingTrigger
    policy: str
    fairness_policy: str
    decision: Decision
    reasons: list[str]
    """Why: every check's verdict when promoted, the failed ones when kept."""
    checks: list[Check]
    champion_before: str | None
    champion_after: str | None
    challenger: str
    challenger_semver: str
    training_run_id: str
    retraining_run_id: str
    offline: OfflineComparison
    shadow: ShadowResult | None
    """None when no deployment target was given: the decision rests on offline evidence."""
    promoted_through: str | None
    """`registry` or the deployment's admin endpoint, when promoted."""
    alert: ActionOutcome | None
    """The refusal's page or ticket, and where it went, when kept."""
    seconds: float


class RetrainingSkipped(BaseModel):
    """A schema trigger found the champion's schema current: nothing to retrain."""

    model: str
    trigger: str
    skipped: str
