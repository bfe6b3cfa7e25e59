"""The `retrain` action: run by the retrainer the monitor was given, never waited for."""

from datetime import UTC, datetime
from pathlib import Path

from reference.platform.alerting.actions import AlertActions, Sinks
from reference.platform.alerting.engine import Alert
from reference.platform.alerting.rules import Action, Severity, load_rules

ALERT = Alert(
    rule="quality-below-minimum", severity=Severity.CRITICAL, model="m", version="4",
    summary="s", condition="c", runbook="r", value=0.7, fired_at=datetime.now(UTC),
)  # fmt: skip


def test_the_retrain_action_runs_the_retrainer_with_the_alert(tmp_path: Path) -> None:
    seen: list[Alert] = []

    def retrainer(alert: Alert) -> str:
        seen.append(alert)
        return "started"

    actions = AlertActions(Sinks(folder=tmp_path), admin=None, retrainer=retrainer)
    outcome = actions(Action.RETRAIN, ALERT, False)
    assert (outcome.ok, outcome.detail, seen) == (True, "started", [ALERT])


def test_without_a_retrainer_the_action_fails_and_says_why(tmp_path: Path) -> None:
    outcome = AlertActions(Sinks(folder=tmp_path), admin=None)(Action.RETRAIN, ALERT, False)
    assert not outcome.ok
    assert outcome.detail == "RuntimeError: this monitor was given no retrainer"


def test_only_the_critical_quality_rule_retrains() -> None:
    retraining = [rule.name for rule in load_rules().rules if Action.RETRAIN in rule.actions]
    assert retraining == ["quality-below-minimum"]
