"""The retraining policy: when a challenger may replace the champion, as data.

Offline, on the same held-out rows: the challenger may not be worse than the champion by
more than a margin (a retrain on fresh data that measures the same is what retraining is
for, so it must be allowed through; one that is measurably worse must not), and must clear
absolute floors that a trivial model cannot (the only gate when there is no champion yet).
In shadow, on live traffic: enough comparisons, and enough agreement of decisions with the
champion, before the policy's time is up. A refusal alerts, by trigger kind.
"""

from pathlib import Path
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from readiness.documents import load_document
from readiness.errors import InvalidPolicy
from reference.platform.alerting.rules import Action
from reference.platform.model.fairness import POLICY_FOLDER
from reference.platform.retraining.triggers import TriggerKind

SHADOW_LIMIT = 1000
"""The most comparisons the deployment's shadow route returns in one answer."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OfflineGate(_Strict):
    max_auc_drop: float = Field(ge=0.0, le=1.0)
    """How far the challenger's AUC may fall below the champion's on the same rows."""
    max_accuracy_drop: float = Field(ge=0.0, le=1.0)
    min_auc: float = Field(ge=0.0, le=1.0)
    min_accuracy: float = Field(ge=0.0, le=1.0)


class ShadowGate(_Strict):
    min_comparisons: int = Field(ge=1, le=SHADOW_LIMIT)
    """Live requests both models answered before agreement is judged."""
    min_agreement: float = Field(ge=0.0, le=1.0)
    """Share of those requests on which both took the same decision."""
    timeout_s: float = Field(gt=0.0)
    """How long to wait for the comparisons; without them the champion stays."""
    poll_s: float = Field(gt=0.0)


class RetrainingPolicy(_Strict):
    name: str = Field(min_length=1)
    offline: OfflineGate
    shadow: ShadowGate
    refusal_alerts: dict[TriggerKind, Action]
    """How a refusal is reported, by what triggered the retraining: page or ticket."""
    rationale: str = ""

    @model_validator(mode="after")
    def _every_trigger_alerts_by_page_or_ticket(self) -> Self:
        if missing := [k.value for k in TriggerKind if k not in self.refusal_alerts]:
            raise ValueError(f"refusal_alerts lacks trigger kinds: {', '.join(missing)}")
        if odd := sorted(
            f"{k.value}: {a.value}"
            for k, a in self.refusal_alerts.items()
            if a not in (Action.PAGE, Action.TICKET)
        ):
            raise ValueError(f"refusal_alerts may only page or ticket, not {', '.join(odd)}")
        if self.shadow.poll_s > self.shadow.timeout_s:
            raise ValueError("shadow.poll_s is longer than shadow.timeout_s")
        return self


def default_retraining_policy_path() -> Path:
    return POLICY_FOLDER / "retraining.yaml"


def load_retraining_policy(path: Path | None = None) -> RetrainingPolicy:
    return load_document(
        path or default_retraining_policy_path(), RetrainingPolicy, InvalidPolicy,
        "retraining policy",
    )  # fmt: skip
