from datetime import UTC, datetime

from reference.platform.alerting.engine import ActionOutcome, Alert, AlertEngine, AlertState
from reference.platform.alerting.rules import Action, load_rules


class RecordedActions:
    def __init__(self) -> None:
        self.taken: list[tuple[Action, str, bool]] = []

    def __call__(self, action: Action, alert: Alert, undo: bool) -> ActionOutcome:
        self.taken.append((action, alert.rule, undo))
        return ActionOutcome(action=action, ok=True, detail="done", at=datetime.now(UTC))


def engine() -> tuple[AlertEngine, RecordedActions]:
    actions = RecordedActions()
    return AlertEngine(load_rules(), actions), actions


def test_nothing_fires_on_healthy_values() -> None:
    alerts, actions = engine()
    for _ in range(10):
        changed = alerts.observe("m", "1", {"readiness_model_accuracy": 0.85,
                                            "readiness_feature_psi_max": 0.03})  # fmt: skip
        assert changed == []
    assert actions.taken == []


def test_low_accuracy_fires_the_critical_alert_once_and_rolls_back_once() -> None:
    alerts, actions = engine()
    fired = alerts.observe("m", "5", {"readiness_model_accuracy": 0.5})
    assert [(a.rule, a.severity, a.version) for a in fired] == [
        ("quality-below-minimum", "critical", "5")
    ]
    for _ in range(5):  # the same incident goes on: no new alert, no new action
        assert alerts.observe("m", "5", {"readiness_model_accuracy": 0.4}) == []
    assert actions.taken == [(Action.ROLLBACK, "quality-below-minimum", False),
                             (Action.PAGE, "quality-below-minimum", False),
                             (Action.RETRAIN, "quality-below-minimum", False)]  # fmt: skip
    assert alerts.firing("m")[0].value == 0.4


def test_an_alert_resolves_after_its_clean_windows_and_lifts_the_batch_pause() -> None:
    alerts, actions = engine()
    alerts.observe("m", "1", {"readiness_schema_changes": 40.0})
    assert alerts.observe("m", "1", {"readiness_schema_changes": 0.0}) == []  # one is not enough
    (resolved,) = alerts.observe("m", "1", {"readiness_schema_changes": 0.0})
    assert resolved.state is AlertState.RESOLVED
    assert resolved.resolved_at is not None
    assert (Action.PAUSE_BATCH, "schema-change", True) in actions.taken


def test_batch_predictions_stay_paused_until_the_last_alert_that_paused_them_resolves() -> None:
    alerts, actions = engine()
    quality, schema = "readiness_data_quality_score", "readiness_schema_changes"
    alerts.observe("m", "1", {quality: 0.3, schema: 40.0})
    for _ in range(2):  # the schema change stops; the quality score is still low
        alerts.observe("m", "1", {quality: 0.5, schema: 0.0})
    assert [a.rule for a in alerts.firing("m")] == ["data-quality-low"]
    assert not [t for t in actions.taken if t[0] is Action.PAUSE_BATCH and t[2]]
    for _ in range(2):
        alerts.observe("m", "1", {quality: 0.95, schema: 0.0})
    undone = [t for t in actions.taken if t[0] is Action.PAUSE_BATCH and t[2]]
    assert undone == [(Action.PAUSE_BATCH, "data-quality-low", True)]


def test_a_rule_with_for_windows_waits_for_consecutive_breaches() -> None:
    alerts, _ = engine()
    latency = "readiness_latency_p99_ratio"
    assert alerts.observe("m", "1", {latency: 1.5}) == []
    assert alerts.observe("m", "1", {latency: 1.0}) == []  # the run is broken
    assert alerts.observe("m", "1", {latency: 1.5}) == []
    assert [a.rule for a in alerts.observe("m", "1", {latency: 1.5})] == ["latency-regression"]


def test_a_missing_value_leaves_the_state_alone() -> None:
    alerts, _ = engine()
    alerts.observe("m", "1", {"readiness_model_accuracy": 0.5})
    for _ in range(3):
        alerts.observe("m", "1", {"readiness_feature_psi_max": 0.01})
    assert [a.rule for a in alerts.firing("m")] == ["quality-below-minimum"]


def test_strong_drift_is_one_medium_alert_the_warning_it_inhibits_takes_no_action() -> None:
    alerts, actions = engine()
    for _ in range(3):
        psi = "readiness_feature_psi_max"
        alerts.observe("m", "1", {psi: 0.6}, {psi: "age=0.6"})
    firing = {a.rule: a for a in alerts.firing("m")}
    assert firing["feature-drift"].detail == "age=0.6"
    assert not firing["feature-drift"].inhibited
    assert firing["feature-drift-warning"].inhibited
    assert actions.taken == [(Action.TICKET, "feature-drift", False)]


def test_alerts_are_kept_apart_by_model_and_version() -> None:
    alerts, _ = engine()
    alerts.observe("m", "4", {"readiness_model_accuracy": 0.5})
    assert alerts.observe("m", "5", {"readiness_model_accuracy": 0.9}) == []
    assert [(a.model, a.version) for a in alerts.firing()] == [("m", "4")]
