from pathlib import Path

from reports.bundles import load_run
from reports.timeline import PANELS, MarkerKind, ScenarioTimeline, scenario_timelines
from tests.reports.samples import PRODUCTION, SAMPLE_RUNS, copy_runs


def _timelines(folder: Path = SAMPLE_RUNS / PRODUCTION) -> dict[str, ScenarioTimeline]:
    run = load_run(folder)
    return {t.name: t for t in scenario_timelines(run.path, run.manifest)}


def test_each_scenario_of_the_run_has_a_timeline_in_the_order_they_ran() -> None:
    assert list(_timelines()) == [
        "steady-state", "traffic-spike", "security-probes", "accelerator-failure",
        "covariate-drift", "data-quality", "bad-rollout", "bias",
    ]  # fmt: skip


def test_a_bad_rollout_shows_the_fault_the_alert_and_the_rollback_in_order() -> None:
    timeline = _timelines()["bad-rollout"]
    kinds = {(m.kind, m.label.split(":")[0]) for m in timeline.markers}
    assert (MarkerKind.ACTION, "roll out a degraded version") in kinds
    assert (MarkerKind.ALERT, "quality-below-minimum (critical)") in kinds
    fault = next(m for m in timeline.markers if m.label == "roll out a degraded version")
    rollback = next(m for m in timeline.markers if m.kind is MarkerKind.ROLLED_BACK)
    alert = next(m for m in timeline.markers if m.label == "quality-below-minimum (critical)")
    assert fault.at_s < rollback.at_s
    assert fault.at_s < alert.at_s
    assert rollback.label.startswith("after 19.7 s: ")
    assert abs(rollback.at_s - (fault.at_s + 19.74)) < 0.01  # drawn where the measure ended


def test_panels_show_latency_versions_and_drift_with_the_versions_named() -> None:
    panels = {p.title: p for p in _timelines()["bad-rollout"].panels}
    assert [line.name for line in panels["Latency of answered predictions"].lines] == [
        "p50",
        "p95",
        "p99",
    ]
    assert sorted(line.name for line in panels["Predictions answered by model version"].lines) == [
        "1",
        "2",
    ]
    assert len(panels["Drift: PSI per feature (largest)"].lines) == 6  # of 12 features


def test_alerts_left_over_from_an_earlier_scenario_are_not_counted_as_new() -> None:
    timeline = _timelines()["bad-rollout"]
    assert "data-quality-low (high)" in timeline.firing_at_start
    assert "data-quality-low (high)" not in {m.label for m in timeline.markers}


def test_a_scenario_without_traffic_says_which_panels_have_no_samples() -> None:
    timeline = _timelines()["security-probes"]
    assert "Latency of answered predictions" in timeline.missing
    assert "Replicas" in [p.title for p in timeline.panels]


def test_a_bundle_without_time_series_gives_empty_timelines_not_a_crash(tmp_path: Path) -> None:
    runs = copy_runs(tmp_path)
    for path in (runs / PRODUCTION / "timeseries").iterdir():
        path.unlink()
    timeline = _timelines(runs / PRODUCTION)["covariate-drift"]
    assert timeline.panels == []
    assert len(timeline.missing) == len(PANELS)
    assert [m.kind for m in timeline.markers if m.kind is MarkerKind.DETECTED] == [
        MarkerKind.DETECTED
    ]
