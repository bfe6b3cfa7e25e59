"""The monitor service on real Adult rows through a real store, with a clock the test moves."""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from prometheus_client import generate_latest

from reference.microservice.backends import Predictions
from reference.microservice.metrics import GatewayMetrics
from reference.platform.alerting.actions import AlertActions, Sinks
from reference.platform.alerting.engine import AlertEngine
from reference.platform.alerting.rules import load_rules
from reference.platform.model.fairness import load_policy
from reference.platform.model.schema import FeatureSchema
from reference.platform.monitoring.config import MonitorConfig, load_config
from reference.platform.monitoring.fallback import Scrape
from reference.platform.monitoring.reference_store import FixedReferences
from reference.platform.monitoring.service import MonitorService
from reference.platform.monitoring.sketch import SketchBuilder
from reference.platform.monitoring.store import MonitorStore
from reference.platform.monitoring.training_reference import MonitorReference
from tests.reference.platform.monitoring.sketches import score

RENAMED = [
    {"type": "extra_forbidden", "loc": ("body", "instances", 0, "hours")},
    {"type": "missing", "loc": ("body", "instances", 0, "hours_per_week")},
]
"""What validation says of a row whose hours_per_week arrives renamed to hours."""


class RecordedAdmin:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, Any]] = []

    def withdraw(self, model: str, version: str, reason: str) -> str:
        self.calls.append(("withdraw", version, reason))
        return "rolled back"

    def pause_batch(self, model: str, paused: bool, reason: str) -> str:
        self.calls.append(("pause_batch", model, paused))
        return "ok"


@dataclass
class Row:
    seq: int
    model: str
    version: str
    probability: float
    truth: int
    features: dict[str, Any]


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Rig:
    service: MonitorService
    store: MonitorStore
    builder: SketchBuilder
    admin: RecordedAdmin
    clock: Clock
    sinks: Path
    labels: list[Row]
    schema: FeatureSchema

    def serve(self, rows: pd.DataFrame, version: str = "1", latency_ms: float = 3.0) -> None:
        numeric, categorical = self.schema.encode(rows)
        for start in range(0, len(rows), 10):
            part = slice(start, start + 10)
            self.builder.add(version, numeric[part], categorical[part], score(numeric[part]),
                             latency_ms)  # fmt: skip
        self.store.write_sketches(self.builder.build())

    def tick(self, seconds: float = 31.0) -> None:
        self.clock.now += seconds
        self.service.step()

    def rules_fired(self) -> list[str]:
        return [a.rule for a in self.store.alerts("adult-income") if not a.inhibited]


@pytest.fixture
def rig(tmp_path: Path, monitor_reference: MonitorReference, schema: FeatureSchema) -> Rig:
    store = MonitorStore(f"sqlite:///{tmp_path / 'audit.db'}")
    admin, clock, labels = RecordedAdmin(), Clock(), list[Row]()
    engine = AlertEngine(load_rules(), AlertActions(Sinks(folder=tmp_path / "sinks"), admin))
    config = MonitorConfig.model_validate({
        "window": {"rows": 1000, "seconds": 30, "min_rows": 200},
        "performance": {"labels": 200, "seconds": 30, "min_labels": 50},
        "fairness": {"every_seconds": 60, "min_labels": 300},
    })  # fmt: skip
    service = MonitorService(
        config, store, FixedReferences(monitor_reference), engine,
        labelled=lambda after, limit: [r for r in labels if r.seq > after][:limit],
        fairness_policy=load_policy(config.fairness.policy), clock=clock,
    )  # fmt: skip
    builder = SketchBuilder(monitor_reference, "adult-income")
    return Rig(service, store, builder, admin, clock, tmp_path / "sinks", labels, schema)


def test_steady_traffic_of_the_training_population_raises_no_alert(
    rig: Rig, test_rows: pd.DataFrame
) -> None:
    for start in range(0, 8000, 1000):
        rig.serve(test_rows[start : start + 1000])
        rig.tick(1)
    rig.tick()
    assert rig.store.alerts() == []
    windows = rig.store.windows("adult-income", "stream")
    assert len(windows) == 8
    assert max(w["result"]["drift"]["psi"]["age"] for w in windows) < 0.1


def test_drift_from_a_known_moment_opens_one_ticket_and_names_the_features(
    rig: Rig, test_rows: pd.DataFrame
) -> None:
    rig.serve(test_rows[:1000])
    rig.tick(1)
    shifted = test_rows[1000:5000].assign(
        hours_per_week=lambda f: (f.hours_per_week + 15).clip(upper=99)
    )
    for start in range(0, 4000, 1000):
        rig.serve(shifted[start : start + 1000])
        rig.tick(1)
    (alert,) = [a for a in rig.store.alerts() if a.rule == "feature-drift"]
    assert alert.detail.startswith("hours_per_week=")
    tickets = [json.loads(line) for line in (rig.sinks / "tickets.jsonl").read_text().splitlines()]
    assert [t["rule"] for t in tickets] == ["feature-drift"]
    assert rig.rules_fired() == ["feature-drift"]  # the warning it implies is inhibited


def by_source(rig: Rig, monitor_reference: MonitorReference, on: bool) -> Rig:
    """The rig's monitor with `window.by_source` as asked."""
    config = rig.service.config
    window = config.window.model_copy(update={"by_source": on})
    rig.service = MonitorService(
        config.model_copy(update={"window": window}), rig.store,
        FixedReferences(monitor_reference), rig.service.engine, clock=rig.clock,
    )  # fmt: skip
    return rig


def serve_fleet(rig: Rig, rows: pd.DataFrame, drifted: pd.DataFrame) -> None:
    """Two devices on their training population and a third whose clientele shifted."""
    for source, part in (("edge/edge-1", rows[:400]), ("edge/edge-2", rows[400:800]),
                         ("edge/edge-3", drifted[:400])):  # fmt: skip
        builder = SketchBuilder(rig.builder.reference, "adult-income", source)
        numeric, categorical = rig.schema.encode(part)
        builder.add("1", numeric, categorical, score(numeric), 3.0)
        rig.store.write_sketches(builder.build())
    rig.tick()


@pytest.mark.parametrize("on", [True, False], ids=["per source", "fleet only"])
def test_drift_at_one_source_is_judged_on_its_own_traffic_and_named_when_asked(
    rig: Rig, monitor_reference: MonitorReference, test_rows: pd.DataFrame, on: bool
) -> None:
    rig = by_source(rig, monitor_reference, on)
    drifted = test_rows[2000:2400].assign(hours_per_week=lambda f: (f.hours_per_week + 15)
                                          .clip(upper=99))  # fmt: skip
    serve_fleet(rig, test_rows, drifted)
    (window,) = rig.store.windows("adult-income", "stream")
    fleet_psi = max(window["result"]["drift"]["psi"].values())
    worst = window["result"].get("worst_source")
    if on:
        assert worst["source"] == "edge/edge-3"
        assert worst["psi_max"] > 2 * fleet_psi  # a third of the fleet dilutes it
        exported = generate_latest(rig.service.metrics.registry).decode()
        assert 'readiness_source_psi_max{model="adult-income",source="edge/edge-3"}' in exported
        (alert,) = [a for a in rig.store.alerts() if a.rule == "feature-drift"]
        assert alert.detail.startswith("edge/edge-3: hours_per_week=")
    else:
        assert worst is None


def test_a_renamed_column_pages_pauses_batches_and_resumes_when_it_stops(
    rig: Rig, test_rows: pd.DataFrame
) -> None:
    rig.serve(test_rows[:500])
    for _ in range(300):
        rig.builder.refuse("1", RENAMED)
    rig.store.write_sketches(rig.builder.build())
    rig.tick()  # the window opens when its first sketch is read ...
    rig.tick()  # ... and closes after its 30 seconds
    fired = {a.rule: a for a in rig.store.alerts()}
    assert "hours (300)" in fired["schema-change"].detail
    assert ("pause_batch", "adult-income", True) in rig.admin.calls
    assert (rig.sinks / "pages.jsonl").exists()
    for _ in range(2):
        rig.serve(test_rows[500:1500])
        rig.tick()
    assert ("pause_batch", "adult-income", False) in rig.admin.calls
    assert {a.state for a in rig.store.alerts() if a.rule == "schema-change"} == {"resolved"}


def test_labels_that_show_a_bad_version_withdraw_that_version(
    rig: Rig, test_rows: pd.DataFrame
) -> None:
    generator = np.random.default_rng(5)
    for seq in range(1, 201):
        probability = float(generator.random())
        rig.labels.append(Row(seq, "adult-income", "7", probability, int(probability < 0.5), {}))
    rig.tick(1)
    assert rig.admin.calls[0][:2] == ("withdraw", "7")
    assert "readiness_model_accuracy" in rig.admin.calls[0][2]
    assert rig.rules_fired() == ["quality-below-minimum"]


def test_labels_given_before_the_monitor_started_are_not_judged_again(
    rig: Rig, test_rows: pd.DataFrame
) -> None:
    """A restarted monitor (a new deployment on the same audit store) starts after the
    labels already there: an earlier run's bad labels raise no alert now."""
    for seq in range(1, 201):
        rig.labels.append(Row(seq, "adult-income", "7", 0.9, 0, {}))  # all wrong
    old = rig.service  # restarted after the labels above, as `readiness up` starts it
    rig.service = MonitorService(
        old.config, old.store, old.references, old.engine,
        labelled=old.labelled, clock=rig.clock, labels_after=200,
    )  # fmt: skip
    rig.tick(1)
    assert rig.admin.calls == []
    assert rig.rules_fired() == []


def test_fairness_runs_on_its_schedule_over_labelled_predictions_with_their_groups(
    rig: Rig, test_rows: pd.DataFrame
) -> None:
    rows = test_rows[:600]
    probabilities = score(rig.schema.encode(rows)[0])
    truth = rows[rig.schema.label.name].astype(int).tolist()
    for seq, row in enumerate(rows.itertuples(), start=1):
        position = seq - 1
        rig.labels.append(Row(seq, "adult-income", "1", float(probabilities[position]),
                              truth[position], {"sex": row.sex, "race": row.race}))  # fmt: skip
    rig.tick(10)
    assert rig.store.windows("adult-income", "fairness") == []  # not due yet
    rig.tick(60)
    (window,) = rig.store.windows("adult-income", "fairness")
    assert window["rows"] == 600
    assert {a["feature"] for a in window["result"]["report"]["attributes"]} == {"sex", "race"}


def test_the_shipped_configuration_loads(tmp_path: Path) -> None:
    path = tmp_path / "monitoring.yaml"
    path.write_text("window: {rows: 500, seconds: 5}\nfairness: {every_seconds: 60}\n")
    assert load_config(path).window.rows == 500
    path.write_text("window: {rows: 0}\n")
    from readiness.errors import InvalidConfiguration

    with pytest.raises(
        InvalidConfiguration, match=r"window.rows: Input should be greater than or equal to 1"
    ):
        load_config(path)


def gateway_monitor(tmp_path: Path, references: FixedReferences, scrape: Scrape) -> MonitorService:
    """A monitor of a gateway's metrics only, with the shipped rules, polled by the test."""
    engine = AlertEngine(load_rules(), AlertActions(Sinks(folder=tmp_path / "sinks"), None))
    store = MonitorStore(f"sqlite:///{tmp_path / 'audit.db'}")
    return MonitorService(MonitorConfig(), store, references, engine, gateway=scrape)


def test_answers_from_the_cpu_fallback_page_after_two_polls_and_resolve_after_five_clean_ones(
    tmp_path: Path, monitor_reference: MonitorReference
) -> None:
    gateway = GatewayMetrics()
    monitor = gateway_monitor(tmp_path, FixedReferences(monitor_reference),
                              lambda: generate_latest(gateway.registry).decode())  # fmt: skip
    registry = monitor.metrics.registry
    labels = {"model": "adult-income", "rule": "accelerator-fallback", "severity": "high"}

    def poll(primary: int, fallback: int) -> tuple[float | None, float | None]:
        """Answers since the previous poll; the ratio and the alert the monitor exports."""
        for count, by_fallback in ((primary, False), (fallback, True)):
            if count:
                answer = Predictions.of(np.zeros(count, np.float32), fallback=by_fallback)
                gateway.answered("adult-income", "2", answer)
        monitor.step()
        ratio = registry.get_sample_value("readiness_fallback_ratio", {"model": "adult-income"})
        return ratio, registry.get_sample_value("readiness_alerts_firing", labels)

    assert poll(primary=40, fallback=0) == (None, None)  # the baseline
    assert poll(primary=40, fallback=0) == (0.0, 0.0)
    assert poll(primary=36, fallback=4) == (0.1, 0.0)  # not above 0.1
    assert poll(primary=0, fallback=40) == (1.0, 0.0)  # one poll of fallback pages nobody
    assert poll(primary=10, fallback=30) == (0.75, 1.0)
    assert poll(primary=0, fallback=0) == (0.75, 1.0)  # no traffic: no new value
    for _ in range(4):
        assert poll(primary=40, fallback=0) == (0.0, 1.0)
    assert poll(primary=40, fallback=0) == (0.0, 0.0)
    (alert,) = monitor.store.alerts("adult-income")
    assert (alert.rule, alert.state, alert.version) == ("accelerator-fallback", "resolved", "")
    assert alert.detail == "30 of 40 instances since the previous poll (version 2: 30 of 40)"
    pages = (tmp_path / "sinks" / "pages.jsonl").read_text().splitlines()
    assert [json.loads(page)["rule"] for page in pages] == ["accelerator-fallback"]


@pytest.mark.parametrize(
    "scrape",
    [lambda: None, lambda: "# metrics are switched off\n"],
    ids=["no metrics endpoint", "no counters of answers"],
)
def test_a_gateway_without_fallback_counters_leaves_the_ratio_absent(
    tmp_path: Path, monitor_reference: MonitorReference, scrape: Scrape
) -> None:
    monitor = gateway_monitor(tmp_path, FixedReferences(monitor_reference), scrape)
    for _ in range(3):
        monitor.step()
    text = generate_latest(monitor.metrics.registry).decode()
    assert "readiness_fallback_ratio{" not in text
