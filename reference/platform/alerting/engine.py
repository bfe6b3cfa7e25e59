"""The alert engine: rule states per model, firing, deduplication, inhibition, resolution.

One incident is one alert: a rule fires once when its condition has held for
`for_windows` windows in a row and stays firing (updating its value, taking no new
action) until the condition has been clear for `resolve_after` windows; while an alert of a
higher severity fires for the same model, the lower ones it inhibits are recorded but act
not. A window that lacks a rule's value (no labels yet, no traffic) leaves that rule's
state as it was.
"""

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from reference.platform.alerting.rules import Action, AlertRule, RuleSet, Severity


class AlertState(StrEnum):
    FIRING = "firing"
    RESOLVED = "resolved"


class ActionOutcome(BaseModel):
    action: Action
    ok: bool
    detail: str
    at: datetime


class Alert(BaseModel):
    id: str = Field(default_factory=lambda: uuid.uuid4().hex[:12])
    rule: str
    severity: Severity
    model: str
    version: str = ""
    summary: str
    condition: str
    runbook: str
    value: float
    detail: str = ""
    state: AlertState = AlertState.FIRING
    fired_at: datetime
    resolved_at: datetime | None = None
    inhibited: bool = False
    actions: list[ActionOutcome] = Field(default_factory=list)


ActionRunner = Callable[[Action, Alert, bool], ActionOutcome]
"""Runs one action for an alert; the flag is True when undoing it (the alert resolved)."""


@dataclass
class _RuleState:
    breaches: int = 0
    clears: int = 0
    alert: Alert | None = None


class AlertEngine:
    def __init__(
        self,
        rules: RuleSet,
        run_action: ActionRunner,
        on_change: Callable[[Alert], None] | None = None,
    ) -> None:
        self.rules, self.run_action = rules, run_action
        self.on_change = on_change or (lambda _: None)
        self._states: dict[tuple[str, str, str], _RuleState] = {}

    def firing(self, model: str | None = None) -> list[Alert]:
        return [
            s.alert for (m, _, _), s in self._states.items()
            if s.alert is not None and (model is None or m == model)
        ]  # fmt: skip

    def observe(
        self,
        model: str,
        version: str,
        values: Mapping[str, float],
        details: Mapping[str, str] | None = None,
        at: datetime | None = None,
    ) -> list[Alert]:
        """Evaluate every rule on one window's values (of one model version: a canary's
        windows are its own); the alerts that fired or resolved."""
        now = at or datetime.now(UTC)
        changed: list[Alert] = []
        ordered = sorted(self.rules.rules, key=lambda r: r.severity.rank)  # critical first
        for rule in ordered:
            if rule.when.metric not in values:
                continue
            state = self._states.setdefault((model, version, rule.name), _RuleState())
            value = values[rule.when.metric]
            if rule.when.breached(value):
                state.breaches, state.clears = state.breaches + 1, 0
                if state.alert is not None:
                    state.alert.value = value
                elif state.breaches >= rule.for_windows:
                    detail = (details or {}).get(rule.when.metric, "")
                    state.alert = self._fire(rule, model, version, value, detail, now)
                    changed.append(state.alert)
            else:
                state.breaches, state.clears = 0, state.clears + 1
                if state.alert is not None and state.clears >= rule.resolve_after:
                    changed.append(self._resolve(rule, state.alert, now))
                    state.alert = None
        return changed

    def _fire(
        self, rule: AlertRule, model: str, version: str, value: float, detail: str, at: datetime
    ) -> Alert:
        silenced_by = self.rules.inhibited_by
        silencing = {
            a.severity for a in self.firing(model) if rule.severity in silenced_by(a.severity)
        }
        alert = Alert(
            rule=rule.name, severity=rule.severity, model=model, version=version,
            summary=rule.summary,
            condition=str(rule.when), runbook=rule.runbook, value=value, detail=detail,
            fired_at=at, inhibited=bool(silencing),
        )  # fmt: skip
        if not alert.inhibited:
            alert.actions = [self.run_action(action, alert, False) for action in rule.actions]
        self.on_change(alert)
        return alert

    def _resolve(self, rule: AlertRule, alert: Alert, at: datetime) -> Alert:
        alert.state, alert.resolved_at = AlertState.RESOLVED, at
        if not alert.inhibited and not self._still_paused_by_another(alert):
            alert.actions += [self.run_action(a, alert, True) for a in rule.actions
                              if a is Action.PAUSE_BATCH]  # fmt: skip
        self.on_change(alert)
        return alert

    def _still_paused_by_another(self, resolved: Alert) -> bool:
        """Batch predictions stay paused while any other alert that paused them fires: a
        schema change and the low quality score it causes resolve one after the other."""
        pausing = {r.name for r in self.rules.rules if Action.PAUSE_BATCH in r.actions}
        return any(
            a is not resolved and not a.inhibited and a.rule in pausing
            for a in self.firing(resolved.model)
        )
