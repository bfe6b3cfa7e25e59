"""Alert rules as data (YAML): which monitor value, which threshold, how many windows in a
row before firing and before resolving, which actions, and the runbook.

The metric a rule names is a gauge the monitor exports (`monitoring.metrics.GAUGES`), so
the same rule can be evaluated by our engine on every window and by Prometheus from the
exported metrics (`prometheus_rules` writes the equivalent alerting rules file).
"""

import operator
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from readiness.documents import load_document
from readiness.errors import InvalidPolicy
from readiness.resources import shipped

DEFAULT_RULES = shipped("reference.platform.alerting", "rules.yaml")


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        return list(Severity).index(self)


class Action(StrEnum):
    ROLLBACK = "rollback"
    """Roll the model back to the previous champion (with a deployment-log entry)."""
    PAGE = "page"
    """Page the on-call engineer (webhook)."""
    PAUSE_BATCH = "pause_batch"
    """Refuse batch predictions until the alert resolves."""
    TICKET = "ticket"
    """Open a ticket (webhook or a file sink)."""
    DIGEST = "digest"
    """Add the alert to the review digest."""
    RETRAIN = "retrain"
    """Start an automated retraining (`reference.platform.retraining`); the monitor does
    not wait for it: the challenger must still beat the champion and pass its gates."""


COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}  # fmt: skip


class Condition(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    metric: str = Field(pattern=r"^readiness_[a-z0-9_]+$")
    op: Literal["<", "<=", ">", ">="]
    value: float

    def breached(self, observed: float) -> bool:
        return COMPARISONS[self.op](observed, self.value)

    def __str__(self) -> str:
        return f"{self.metric} {self.op} {self.value:g}"


class AlertRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    severity: Severity
    summary: str = Field(min_length=1)
    when: Condition
    for_windows: int = Field(default=1, ge=1)
    """Consecutive breaching windows before the alert fires."""
    resolve_after: int = Field(default=2, ge=1)
    """Consecutive clean windows before a firing alert resolves."""
    actions: tuple[Action, ...] = ()
    runbook: str = Field(min_length=1)


class Inhibition(BaseModel):
    """While an alert of `source` severity fires for a model, alerts of the `target`
    severities for that model are recorded but take no action (one incident, one page)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: Severity
    targets: tuple[Severity, ...]


class RuleSet(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    rules: tuple[AlertRule, ...] = Field(min_length=1)
    inhibit: tuple[Inhibition, ...] = ()

    @model_validator(mode="after")
    def _names_are_unique_and_metrics_known(self) -> Self:
        from reference.platform.monitoring.metrics import GAUGES

        names = [rule.name for rule in self.rules]
        if twice := sorted({n for n in names if names.count(n) > 1}):
            raise ValueError(f"rules named twice: {', '.join(twice)}")
        for rule in self.rules:
            if rule.when.metric not in GAUGES:
                raise ValueError(
                    f"rule '{rule.name}' watches '{rule.when.metric}', which no monitor exports "
                    f"(known: {', '.join(sorted(GAUGES))})"
                )
        return self

    def inhibited_by(self, severity: Severity) -> set[Severity]:
        """The severities that a firing alert of this severity silences."""
        return {t for i in self.inhibit if i.source is severity for t in i.targets}


def load_rules(path: Path = DEFAULT_RULES) -> RuleSet:
    return load_document(path, RuleSet, InvalidPolicy, "alert rules")
