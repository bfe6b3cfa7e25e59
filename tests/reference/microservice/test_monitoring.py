"""The production service with its monitors, through its HTTP interface: sketches become
windows and values, a renamed column pauses batch predictions until it stops, labels that
show a bad champion roll it back, the counterfactual route answers, and a retraining
shadows its challenger on live traffic and promotes it through the admin API.

Windows are shrunk by a monitor configuration (100 predictions or 5 seconds) so the alerts
come in seconds. The home is a fork of the session's trained home with approved versions
2 and 3 (see `test_operations`), so version 2 serves and version 1 is there to go back to.
"""

import math
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from typer.testing import CliRunner

from readiness.cli import app
from readiness.home import Home
from reference.platform.model.dataset import AdultDataset
from reference.platform.model.lifecycle import TrainOptions
from reference.platform.model.served import SERVED_MODEL
from reference.platform.model.training import TrainingConfig
from reference.platform.monitoring.store import MonitorStore
from reference.platform.retraining.outcome import Decision
from reference.platform.retraining.pipeline import retrain
from reference.platform.retraining.policy import OfflineGate, ShadowGate, load_retraining_policy
from reference.platform.retraining.triggers import RetrainingTrigger, TriggerKind
from tests.examples import VALID_ROW
from tests.reference.microservice.running import Api, deployment

MONITOR_CONFIG = {
    "window": {"rows": 100, "seconds": 5, "min_rows": 100},
    "performance": {"labels": 40, "seconds": 2, "min_labels": 20},
    "fairness": {"every_seconds": 3, "min_labels": 40},
    "poll_seconds": 0.5,
    "retraining": {"enabled": False},  # the retraining loop has tests of its own
}


@pytest.fixture(scope="module")
def monitored(operated_home: Home) -> Iterator[Api]:
    config = operated_home.root / "monitoring.yaml"
    config.write_text(yaml.safe_dump(MONITOR_CONFIG))
    with deployment(operated_home, "production", "champion", "--monitor-config",
                    str(config)) as descriptor:  # fmt: skip
        yield Api(descriptor)


@pytest.fixture(scope="module")
def rows(adult: AdultDataset) -> list[dict[str, Any]]:
    names = [c.name for c in adult.schema.columns if c.name not in ("applicant_id",)]
    frame = adult.test[names][:600]
    return [{str(k): None if isinstance(v, float) and math.isnan(v) else v for k, v in r.items()}
            for r in frame.to_dict("records")]  # fmt: skip


def eventually(check: Callable[[], Any], seconds: float = 20.0) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.25)
    raise AssertionError(f"not within {seconds} s: {check.__doc__ or check}")


def monitor_value(api: Api, name: str) -> float | None:
    assert api.descriptor.endpoints.monitor_metrics is not None
    text = httpx.get(api.descriptor.endpoints.monitor_metrics, timeout=10).text
    wanted = f'{name}{{model="{SERVED_MODEL}"}}'
    found = [float(line.split()[-1]) for line in text.splitlines() if line.startswith(wanted)]
    return found[0] if found else None


def batch_paused(api: Api) -> str | None:
    answer = api.admin_call("GET", "routing")
    assert answer.status_code == 200, answer.text
    return answer.json()["batch_paused"]  # type: ignore[no-any-return]


def test_the_descriptor_names_the_monitors_metrics(monitored: Api) -> None:
    assert monitored.descriptor.endpoints.monitor_metrics is not None
    assert monitored.descriptor.endpoints.counterfactual is not None


def test_served_traffic_becomes_windows_of_drift_and_quality(
    monitored: Api, rows: list[dict[str, Any]], operated_home: Home
) -> None:
    for row in rows[:250]:
        assert monitored.predict(row).status_code == 200

    def scored() -> float | None:
        """the data-quality score of a window is exported"""
        return monitor_value(monitored, "readiness_data_quality_score")

    def drift_judged() -> bool:
        """a window of min_rows predictions exported its PSI (one closed by time with fewer,
        as on a slow machine, is judged for quality only)"""
        return monitor_value(monitored, "readiness_feature_psi_max") is not None

    assert eventually(scored) > 0.9
    eventually(drift_judged)
    store = MonitorStore(operated_home.audit_url)

    def judged() -> list[dict[str, Any]] | None:
        """every prediction sent is in a closed window"""
        windows = store.windows(SERVED_MODEL, "stream")
        return windows if sum(w["rows"] for w in windows) >= 250 else None

    windows = eventually(judged)
    assert any({"drift", "quality", "latency"} <= set(w["result"]) for w in windows)


def test_a_renamed_column_pauses_batch_predictions_until_it_stops(
    monitored: Api, rows: list[dict[str, Any]]
) -> None:
    for row in rows[250:310]:
        renamed = {("hours" if k == "hours_per_week" else k): v for k, v in row.items()}
        refused = monitored.predict(renamed)
        assert refused.status_code == 422
    eventually(lambda: batch_paused(monitored))
    pair = monitored.predict(VALID_ROW, VALID_ROW)
    assert pair.status_code == 503
    assert "paused" in pair.json()["detail"]
    assert pair.headers["retry-after"] == "60"
    assert monitored.predict(VALID_ROW).status_code == 200  # one at a time still answers
    for row in rows[310:600]:
        assert monitored.predict(row).status_code == 200
        if batch_paused(monitored) is None:
            break
    eventually(lambda: batch_paused(monitored) is None)
    assert monitored.predict(VALID_ROW, VALID_ROW).status_code == 200
    log = monitored.admin_call("GET", "deployments").json()
    actions = [(e["actor"], e["action"]) for e in log]
    assert ("monitor", "pause-batch") in actions
    assert ("monitor", "resume-batch") in actions


def test_the_counterfactual_route_flips_a_decision_with_actionable_changes(
    monitored: Api,
) -> None:
    assert monitored.descriptor.endpoints.counterfactual is not None
    url = monitored.descriptor.endpoints.counterfactual.format(model=SERVED_MODEL)
    married = {**VALID_ROW, "marital_status": "Married-civ-spouse", "relationship": "Husband",
               "education": "Bachelors", "education_num": 13, "age": 45}  # fmt: skip
    answer = httpx.post(url, json={"instances": [married]}, headers=monitored.user, timeout=30)
    assert answer.status_code == 200, answer.text
    found = answer.json()["counterfactual"]
    assert found["found"], found["reason"]
    assert found["decision"] != found["original_decision"]
    assert {c["feature"] for c in found["changes"]} <= {
        "hours_per_week", "education", "education_num", "workclass", "occupation"
    }  # fmt: skip
    two = httpx.post(url, json={"instances": [VALID_ROW, VALID_ROW]}, headers=monitored.user,
                     timeout=30)  # fmt: skip
    assert two.status_code == 422


def test_labels_that_show_a_bad_champion_roll_it_back_within_ten_seconds(
    monitored: Api, rows: list[dict[str, Any]]
) -> None:
    """Ground truth that contradicts every answer of the champion is what a broken model
    looks like to the performance monitor: the critical alert rolls back to the champion
    before it, and the deployment log says the monitor did it and why."""
    promoted = monitored.admin_call("POST", "promote", {"version": "3", "reason": "newer"})
    assert promoted.status_code == 200, promoted.text
    assert monitored.served_version() == "3"
    answered = [monitored.predict(row).json() for row in rows[:60]]
    labels = [{"request_id": a["request_id"], "position": 0,
               "label": 1 - a["predictions"][0]["label"]} for a in answered]  # fmt: skip
    sent = httpx.post(monitored.feedback_url, json={"labels": labels}, headers=monitored.user,
                      timeout=30)  # fmt: skip
    assert sent.status_code == 200, sent.text
    started = time.monotonic()
    eventually(lambda: monitored.served_version() == "2", seconds=10)
    assert time.monotonic() - started <= 10
    rollback = next(e for e in monitored.admin_call("GET", "deployments").json()
                    if e["action"] == "rollback")  # fmt: skip
    assert rollback["actor"] == "monitor"
    assert (rollback["from_version"], rollback["to_version"]) == ("3", "2")
    assert "quality-below-minimum" in rollback["detail"]


def test_the_cli_renders_a_windows_drift_report_and_lists_the_alerts(
    monitored: Api, operated_home: Home, tmp_path: Path
) -> None:
    runner = CliRunner()
    report = tmp_path / "drift.html"
    url = operated_home.audit_url
    result = runner.invoke(app, ["monitor", "report", "--url", url, "-o", str(report)])
    assert result.exit_code == 0, result.output
    assert "PSI (Evidently)" in result.output
    assert "occupation" in result.output
    assert report.stat().st_size > 10_000
    missing = runner.invoke(app, ["monitor", "report", "--url", url, "--window", "99999"])
    assert missing.exit_code == 2
    assert "--window 99999 is not a drift window" in missing.output
    alerts = runner.invoke(app, ["monitor", "alerts", "--url", url])
    assert alerts.exit_code == 0, alerts.output
    assert "quality-below-minimum" in alerts.output
    assert "rollback" in alerts.output


def test_a_retraining_shadows_its_challenger_on_live_traffic_and_promotes_it(
    monitored: Api, rows: list[dict[str, Any]], operated_home: Home, tmp_path: Path
) -> None:
    """The retraining loop against the running service, through its descriptor: a tiny
    challenger (gates opened wide: this test is about the path, the gates have their own
    tests) shadows the champion on the requests sent meanwhile, then the deployment
    promotes it and it answers."""
    lenient = tmp_path / "lenient.yaml"
    lenient.write_text(
        "name: lenient\nsensitive_features: [sex]\n"
        "demographic_parity_ratio_min: null\nequalized_odds_difference_max: 1\n"
    )
    policy = load_retraining_policy().model_copy(update={
        "offline": OfflineGate(max_auc_drop=1, max_accuracy_drop=1, min_auc=0, min_accuracy=0),
        "shadow": ShadowGate(min_comparisons=40, min_agreement=0, timeout_s=180, poll_s=0.5),
    })  # fmt: skip
    options = TrainOptions(config=TrainingConfig.tiny(), policy_path=lenient, cost_seconds=0.01,
                           importance_rows=5)  # fmt: skip
    trigger = RetrainingTrigger(kind=TriggerKind.MANUAL, evidence="end-to-end test")
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(retrain, operated_home, trigger, policy, options,
                              monitored.descriptor)  # fmt: skip
        sent = 0
        while not running.done():  # live traffic for the shadow to compare
            monitored.predict(rows[sent % len(rows)])
            sent += 1
            time.sleep(0.05)
        outcome = running.result()
    assert outcome.decision is Decision.PROMOTE, outcome.reasons
    assert outcome.shadow is not None
    assert outcome.shadow.comparisons >= 40
    assert outcome.promoted_through == "deployment admin API"
    assert monitored.served_version() == outcome.challenger
    log = monitored.admin_call("GET", "deployments").json()
    recent = [(e["action"], e["to_version"]) for e in log[:3]]
    assert ("promote", outcome.challenger) in recent  # by the deployment ...
    assert ("retrain-promote", outcome.challenger) in recent  # ... and why, by the retraining
