"""A scenario's timeline: what the target did over time, and where the fault, the alerts
and the recovery happened.

Read from the bundle only: the time series the harness sampled (`timeseries/NAME.parquet`),
the journal (when each step ran) and the scenario's evidence (the measured delays). The
panels are chosen by metric name so that any target's series show up: a panel is left out
when the target exports nothing for it, and the page says which ones were missing.
Times are seconds since the scenario started.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import pandas as pd
import yaml

from readiness.bundle import (
    ALERT_METRICS,
    Evidence,
    Manifest,
    Phase,
    ScenarioResult,
    firing_alert,
    read_jsonl,
)
from reports.evidence import read_evidence

TIMESERIES = "timeseries"
MAX_LINES = 6
"""Lines per panel; the largest are kept (PSI of twelve features is unreadable)."""
TRAFFIC = "traffic"
PREDICT = "predict"


class MarkerKind(StrEnum):
    ACTION = "action"
    """A method step that changes the system (Chaos Toolkit's action): a fault, a change
    of traffic."""
    STEP = "step"
    """A method step that only observes (a probe), or waits."""
    ALERT = "alert"
    DETECTED = "detected"
    RECOVERED = "recovered"
    ROLLED_BACK = "rolled back"
    UNDO = "undo"


DELAY_MARKERS = {
    "alert_delay_s": MarkerKind.DETECTED,
    "condition_delay_s": MarkerKind.DETECTED,
    "rollback_delay_s": MarkerKind.ROLLED_BACK,
    "recovery_time_s": MarkerKind.RECOVERED,
}
"""Measures that are a delay from a step: each is drawn where it ended, with its value."""


@dataclass(frozen=True)
class Line:
    name: str
    seconds: list[float]
    values: list[float]


@dataclass(frozen=True)
class Panel:
    title: str
    unit: str
    lines: list[Line]
    note: str = ""


@dataclass(frozen=True)
class Marker:
    at_s: float
    kind: MarkerKind
    label: str


@dataclass(frozen=True)
class Measured:
    name: str
    value: float | None
    unit: str
    tolerance: str
    outcome: str


@dataclass(frozen=True)
class ScenarioTimeline:
    name: str
    title: str
    status: str
    duration_s: float
    panels: list[Panel]
    missing: list[str]
    """Panels left out for want of samples (the target exports no such metric, or the
    scenario sent no traffic of that kind)."""
    markers: list[Marker]
    firing_at_start: list[str]
    """Alerts already firing when the scenario began (left over from an earlier fault)."""
    measured: list[Measured]

    @property
    def delays(self) -> list[Marker]:
        return [m for m in self.markers if m.kind in DELAY_MARKERS.values()]


def _labels(text: str) -> dict[str, str]:
    return dict(json.loads(text)) if text else {}


def _lines(rows: pd.DataFrame, started: float, scale: float = 1.0, prefix: str = "") -> list[Line]:
    """One line per label set; named by the labels that differ between them."""
    if rows.empty:
        return []
    groups = list(rows.groupby("labels", sort=True))
    parsed = {labels: _labels(str(labels)) for labels, _ in groups}
    keys = sorted({key for found in parsed.values() for key in found})
    varying = [k for k in keys if len({found.get(k) for found in parsed.values()}) > 1]
    lines = []
    for labels, group in groups:
        found = parsed[labels]
        name = ", ".join(f"{found[k]}" for k in varying if k in found) or prefix or "value"
        if prefix and varying:
            name = f"{prefix} {name}"
        ordered = group.sort_values("time")
        lines.append(
            Line(
                name=name,
                seconds=[round(t - started, 3) for t in ordered["time"]],
                values=[float(v) * scale for v in ordered["value"]],
            )
        )
    lines.sort(key=lambda line: -max(line.values, default=0.0))
    return lines[:MAX_LINES]


def _metric(samples: pd.DataFrame, suffix: str) -> pd.DataFrame:
    """Samples of the target's own metrics whose name ends with `suffix` (any prefix: the
    project's `readiness_` or a user's)."""
    own = samples[samples["source"] != TRAFFIC]
    return own[own["metric"].str.endswith(suffix)]


def _traffic(samples: pd.DataFrame, metric: str, kind: str = PREDICT) -> pd.DataFrame:
    rows = samples[(samples["source"] == TRAFFIC) & (samples["metric"] == metric)]
    return rows[rows["labels"].map(lambda text: _labels(text).get("kind") == kind)]


PanelBuilder = Callable[[pd.DataFrame, float], Panel]


def _quantiles(title: str, prefix: str) -> PanelBuilder:
    """p50/p95/p99 lines of the traffic's `<prefix>latency_<q>_ms` series."""

    def build(samples: pd.DataFrame, started: float) -> Panel:
        lines = []
        for quantile in ("p50", "p95", "p99"):
            rows = _traffic(samples, f"{prefix}latency_{quantile}_ms")
            lines += _lines(rows.assign(labels=""), started, prefix=quantile)
        return Panel(title, "ms", lines)

    return build


def _errors(samples: pd.DataFrame, started: float) -> Panel:
    lines = _lines(
        _traffic(samples, "error_rate").assign(labels=""), started, 100, "errors (5xx, lost)"
    )
    lines += _lines(
        _traffic(samples, "refused_rate").assign(labels=""), started, 100, "refused (4xx)"
    )
    return Panel("Error rate of predictions", "%", lines)


def _throughput(samples: pd.DataFrame, started: float) -> Panel:
    rows = samples[(samples["source"] == TRAFFIC) & (samples["metric"] == "requests_per_s")]
    return Panel("Throughput by kind of request", "req/s", _lines(rows, started))


def _versions(samples: pd.DataFrame, started: float) -> Panel:
    rows = _traffic(samples, "answers_by_version")
    return Panel("Predictions answered by model version", "per s", _lines(rows, started))


def _suffixed(title: str, unit: str, *suffixes: str) -> PanelBuilder:
    def build(samples: pd.DataFrame, started: float) -> Panel:
        lines = []
        for suffix in suffixes:
            rows = _metric(samples, suffix)
            prefix = suffix.strip("_").replace("_", " ") if len(suffixes) > 1 else ""
            lines += _lines(rows, started, prefix=prefix)
        return Panel(title, unit, lines)

    return build


PANELS: list[PanelBuilder] = [
    _quantiles("Latency of answered predictions", ""),
    _quantiles("End-to-end latency (sent to acted on), by second sent", "end_to_end_"),
    _errors,
    _throughput,
    _versions,
    _suffixed("Replicas", "replicas", "_replicas"),
    _suffixed("Stream: messages waiting per stage", "messages", "_stream_consumer_lag"),
    _suffixed("Drift: PSI per feature (largest)", "PSI", "_feature_psi"),
    _suffixed("Fairness", "", "_fairness_dp_ratio_min", "_fairness_eo_difference_max"),
    _suffixed("Model quality on feedback", "", "_model_accuracy"),
]


def _alerts(samples: pd.DataFrame, started: float) -> tuple[list[Marker], list[str]]:
    """Each time an alert goes from not firing to firing, and the alerts that were already
    firing at the first sample."""
    rows = samples[samples["metric"].isin(ALERT_METRICS)].sort_values("time")
    first = rows["time"].min() if not rows.empty else 0.0
    firing_before: dict[tuple[str, str], bool] = {}
    onsets, at_start = [], []
    for time, metric, labels, value in zip(
        rows["time"], rows["metric"], rows["labels"], rows["value"], strict=True
    ):
        found = firing_alert(metric, labels, value)
        key = (metric, labels)
        if found and not firing_before.get(key, False):
            name = f"{found[0]} ({found[1]})"
            if time == first:
                at_start.append(name)
            else:
                onsets.append(Marker(round(time - started, 3), MarkerKind.ALERT, name))
        firing_before[key] = found is not None
    return onsets, at_start


def _actions(bundle: Path, scenario: str) -> set[str]:
    """The method steps of the scenario file as run that are actions."""
    path = bundle / "scenarios" / f"{scenario}.yaml"
    try:
        document = yaml.safe_load(path.read_text()) if path.is_file() else {}
    except (OSError, yaml.YAMLError):
        return set()
    method = document.get("method", []) if isinstance(document, dict) else []
    return {
        str(step.get("name")) for step in method
        if isinstance(step, dict) and step.get("type") == "action"
    }  # fmt: skip


def _step_markers(
    journal: list[dict[str, object]], actions: set[str], started: float
) -> list[Marker]:
    markers = []
    for record in journal:
        phase, step = record["phase"], str(record["step"])
        at = round(float(str(record["started"])) - started, 3)
        if phase == Phase.METHOD:
            kind = MarkerKind.ACTION if step in actions else MarkerKind.STEP
            markers.append(Marker(at, kind, step))
        elif phase == Phase.ROLLBACK:
            markers.append(Marker(at, MarkerKind.UNDO, step))
    return markers


def _delay_markers(
    evidence: list[Evidence], step_starts: dict[str, float], started: float
) -> list[Marker]:
    markers = []
    for record in evidence:
        kind = DELAY_MARKERS.get(record.measure or "")
        if kind is None or not isinstance(record.value, int | float):
            continue
        since = step_starts.get(record.provenance.step or "", started)
        at = round(since + float(record.value) - started, 3)
        markers.append(Marker(at, kind, f"after {float(record.value):.1f} s: {record.name}"))
    return markers


def _timeline(
    bundle: Path, result: ScenarioResult, journal: list[dict[str, object]], evidence: list[Evidence]
) -> ScenarioTimeline:
    path = bundle / TIMESERIES / f"{result.name}.parquet"
    samples = pd.read_parquet(path) if path.is_file() else pd.DataFrame(
        columns=["time", "source", "metric", "labels", "value"]
    )  # fmt: skip
    journal = [r for r in journal if r["scenario"] == result.name]
    evidence = [e for e in evidence if e.provenance.scenario == result.name]
    started = result.started
    step_starts = {
        str(r["step"]): float(str(r["started"])) for r in journal if r["phase"] == Phase.METHOD
    }
    built = [build(samples, started) for build in PANELS]
    onsets, firing_at_start = _alerts(samples, started)
    markers = (
        _step_markers(journal, _actions(bundle, result.name), started)
        + onsets
        + _delay_markers(evidence, step_starts, started)
    )
    measured = [
        Measured(e.name, e.value, e.unit, e.tolerance, str(e.outcome)) for e in result.expectations
    ]
    return ScenarioTimeline(
        name=result.name, title=result.title, status=str(result.status),
        duration_s=round(result.ended - result.started, 3),
        panels=[panel for panel in built if panel.lines],
        missing=[panel.title for panel in built if not panel.lines],
        markers=sorted(markers, key=lambda m: m.at_s), firing_at_start=firing_at_start,
        measured=measured,
    )  # fmt: skip


def scenario_timelines(bundle: Path, manifest: Manifest) -> list[ScenarioTimeline]:
    """A timeline per scenario the run recorded, in the order they ran."""
    journal, evidence = _journal(bundle), read_evidence(bundle)
    return [_timeline(bundle, result, journal, evidence) for result in manifest.results]


def _journal(bundle: Path) -> list[dict[str, object]]:
    path = bundle / "journal.jsonl"
    return read_jsonl(path) if path.is_file() else []


def labelled_markers(scenario: ScenarioTimeline) -> list[Marker]:
    """The markers worth a number and a line in the caption (steps and undos are drawn but
    not named: the journal has them)."""
    return [m for m in scenario.markers if m.kind not in (MarkerKind.STEP, MarkerKind.UNDO)]


def marker_caption(scenario: ScenarioTimeline) -> list[str]:
    """The numbered markers in words, as the chart's caption lists them."""
    return [
        f"{number}. {marker.at_s:.1f} s, {marker.kind}: {marker.label}"
        for number, marker in enumerate(labelled_markers(scenario), start=1)
    ]
