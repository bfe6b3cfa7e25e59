"""The monitor service: turns the live stream into windows, windows into values, values
into alerts and actions.

Inputs, polled from the deployment's store: sketches that serving processes flush (drift,
data quality, latency), and labelled predictions from the prediction log (performance,
fairness); and, where the monitor is given the gateway's metrics, the counters of instances
answered by the CPU fallback (`fallback`: the fallback's share, judged at every poll).
Outputs: window results in the store, Prometheus gauges, and the alert engine's alerts with
their actions. It runs as a process of its own beside a deployment
(`python -m reference.platform.monitoring`), so its work never competes with a request on
the serving event loop, and any architecture that writes sketches and a prediction log gets
the same monitors. One poll does all of it in turn, so a slow window or a slow action
delays the fallback's judgement too.
"""

import logging
import statistics
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import numpy as np
import pandas as pd

from reference.platform.alerting.engine import AlertEngine
from reference.platform.model.fairness import FairnessPolicy
from reference.platform.monitoring.config import MonitorConfig
from reference.platform.monitoring.drift import DriftResult, drift
from reference.platform.monitoring.fairness_window import fairness_window
from reference.platform.monitoring.fallback import RATIO, FallbackRatio, Scrape, read_counters
from reference.platform.monitoring.metrics import MonitorMetrics
from reference.platform.monitoring.performance import LatencyResult, performance
from reference.platform.monitoring.quality import quality
from reference.platform.monitoring.reference_store import ReferenceSource
from reference.platform.monitoring.sketch import Sketch
from reference.platform.monitoring.store import MonitorStore
from reference.platform.monitoring.training_reference import MonitorReference

LOG = logging.getLogger(__name__)


class Labelled(Protocol):
    """A prediction that ground truth has come back for."""

    @property
    def seq(self) -> int: ...
    @property
    def model(self) -> str: ...
    @property
    def version(self) -> str: ...
    @property
    def probability(self) -> float: ...
    @property
    def truth(self) -> int: ...
    @property
    def features(self) -> dict[str, Any]: ...


PSI_MAX = "readiness_feature_psi_max"
LabelledFeed = Callable[[int, int], Iterable[Labelled]]
"""(after cursor, limit) -> labelled predictions in cursor order."""


@dataclass
class _OpenWindow:
    sketch: Sketch
    opened: float
    sources: dict[str, Sketch] = field(default_factory=dict)


@dataclass
class _LabelBuffer:
    opened: float
    truth: list[int] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)


class MonitorService:
    def __init__(
        self,
        config: MonitorConfig,
        store: MonitorStore,
        references: ReferenceSource,
        engine: AlertEngine,
        labelled: LabelledFeed | None = None,
        fairness_policy: FairnessPolicy | None = None,
        metrics: MonitorMetrics | None = None,
        clock: Callable[[], float] = time.monotonic,
        gateway: Scrape | None = None,
        labels_after: int = 0,
    ) -> None:
        """`gateway`: the gateway's metrics, for the CPU fallback's share of its answers;
        `labels_after`: the feedback cursor to start from (labels given before the monitor
        started were judged by its predecessor, or belong to another run)."""
        self.config, self.store, self.references = config, store, references
        self.engine, self.labelled, self.fairness_policy = engine, labelled, fairness_policy
        self.gateway, self._fallback = gateway, FallbackRatio()
        self.metrics = metrics or MonitorMetrics()
        self.clock = clock
        self.sketch_cursor = store.last_sketch_id()  # what came before the monitor started
        self.label_cursor = labels_after  # labels are judged whenever they arrive from now
        self._windows: dict[tuple[str, str], _OpenWindow] = {}
        self._labels: dict[tuple[str, str], _LabelBuffer] = {}
        self._recent: dict[str, deque[tuple[str, Labelled]]] = {}
        self._baseline: dict[str, list[float]] = {}
        self._fairness_due = clock() + config.fairness.every_seconds

    def step(self) -> None:
        """One poll: read what arrived, close the windows that are due, judge them."""
        now = self.clock()
        for cursor, sketch in self.store.sketches_since(self.sketch_cursor):
            self.sketch_cursor = cursor
            self._add_sketch(sketch, now)
        for key in [k for k, w in self._windows.items() if self._due(w, now)]:
            self._judge_window(key, self._windows.pop(key))
        if self.labelled is not None:
            self._read_labels(now)
            for key in [k for k, b in self._labels.items() if self._labels_due(b, now)]:
                self._judge_performance(key, self._labels.pop(key))
            if now >= self._fairness_due and self.fairness_policy is not None:
                self._fairness_due = now + self.config.fairness.every_seconds
                for model in list(self._recent):
                    self._judge_fairness(model)
        if self.gateway is not None:
            self._judge_fallback(self.gateway)

    def run(self, stop: threading.Event) -> None:
        """Poll until `stop` is set, which ends the wait between polls at once. A poll that
        fails is logged and the next one goes on: one bad window must not leave the
        deployment unwatched."""
        while not stop.is_set():
            started = self.clock()
            try:
                self.step()
            except Exception:
                self.metrics.failures.inc()
                LOG.exception("monitor poll failed; the next poll goes on")
            stop.wait(max(0.0, self.config.poll_seconds - (self.clock() - started)))

    def _judge_fallback(self, gateway: Scrape) -> None:
        """The CPU fallback's share of each model's answers since the previous poll. It is
        not a model version's doing, so the alert is the model's (version "")."""
        text = gateway()
        if text is None:
            return
        for share in self._fallback.update(read_counters(text)):
            self._conclude(share.model, "", {RATIO: share.ratio}, {RATIO: share.detail})

    def _add_sketch(self, sketch: Sketch, now: float) -> None:
        key = (sketch.model, sketch.version)
        self.metrics.rows.labels(sketch.model).inc(sketch.rows)
        window = self._windows.get(key)
        if window is None:
            window = self._windows[key] = _OpenWindow(sketch, now)
        else:
            window.sketch = window.sketch.merge(sketch)
        if self.config.window.by_source:
            earlier = window.sources.get(sketch.source)
            window.sources[sketch.source] = sketch if earlier is None else earlier.merge(sketch)

    def _due(self, window: _OpenWindow, now: float) -> bool:
        sketch = window.sketch
        full = sketch.rows >= self.config.window.rows
        return full or (now - window.opened >= self.config.window.seconds)

    def _judge_window(self, key: tuple[str, str], window: _OpenWindow) -> None:
        model, version = key
        sketch = window.sketch
        reference = self.references.reference(model, version)
        values: dict[str, float] = {}
        details: dict[str, str] = {}
        result: dict[str, Any] = {}
        if reference is not None:
            checked = quality(reference, sketch, self.config.correlation_tolerance,
                              self.config.window.min_rows)  # fmt: skip
            values["readiness_data_quality_score"] = checked.score
            values["readiness_schema_changes"] = float(checked.schema_changes)
            details["readiness_schema_changes"] = _fields(checked.refused.get("schema", {}))
            details["readiness_data_quality_score"] = _quality_detail(checked.refused)
            result["quality"] = checked.model_dump()
            if sketch.rows >= self.config.window.min_rows:
                drifted = drift(reference, sketch)
                values[PSI_MAX] = drifted.psi_max
                values["readiness_output_kl"] = drifted.output_kl
                details[PSI_MAX] = _psi_detail(drifted)
                result["drift"] = drifted.model_dump()
                for name, value in drifted.psi.items():
                    self.metrics.psi.labels(model, name).set(value)
            worst = self._worst_source(model, reference, window.sources)
            if worst is not None and worst[1].psi_max > values.get(PSI_MAX, 0.0):
                source, drifted = worst
                values[PSI_MAX] = drifted.psi_max
                details[PSI_MAX] = f"{source}: {_psi_detail(drifted)}"
                result["worst_source"] = {"source": source, "psi_max": drifted.psi_max,
                                          **drifted.model_dump()}  # fmt: skip
        latency = self._latency(model, sketch)
        if latency is not None:
            values["readiness_latency_p99_ms"] = latency.p99_ms
            if latency.ratio is not None:
                values["readiness_latency_p99_ratio"] = latency.ratio
            result["latency"] = latency.model_dump()
        self.store.write_window(model, version, "stream", sketch.started, sketch.ended,
                                sketch.rows + sketch.rejected_rows, result)  # fmt: skip
        self.metrics.windows.labels(model, "stream").inc()
        self._conclude(model, version, values, details)

    def _worst_source(
        self, model: str, reference: MonitorReference, sources: dict[str, Sketch]
    ) -> tuple[str, DriftResult] | None:
        """The source whose own traffic drifted most (with enough rows to judge)."""
        judged = [(source, drift(reference, s)) for source, s in sources.items()
                  if s.rows >= self.config.window.min_rows]  # fmt: skip
        for source, drifted in judged:
            self.metrics.source_psi.labels(model, source).set(drifted.psi_max)
        return max(judged, key=lambda pair: pair[1].psi_max, default=None)

    def _latency(self, model: str, sketch: Sketch) -> LatencyResult | None:
        p99 = sketch.latency_percentile(99)
        if p99 is None:
            return None
        configured = self.config.latency.baseline_p99_ms
        learnt = self._baseline.setdefault(model, [])
        if configured is None and len(learnt) < self.config.latency.baseline_windows:
            learnt.append(p99)
        baseline = configured or (
            statistics.median(learnt)
            if len(learnt) >= self.config.latency.baseline_windows
            else None
        )
        return LatencyResult(p99_ms=p99, baseline_p99_ms=baseline)

    def _read_labels(self, now: float) -> None:
        assert self.labelled is not None
        for record in self.labelled(self.label_cursor, 5000):
            self.label_cursor = max(self.label_cursor, record.seq)
            key = (record.model, record.version)
            buffer = self._labels.setdefault(key, _LabelBuffer(opened=now))
            buffer.truth.append(record.truth)
            buffer.scores.append(record.probability)
            recent = self._recent.setdefault(
                record.model, deque(maxlen=self.config.fairness.max_labels)
            )
            recent.append((record.version, record))

    def _labels_due(self, buffer: _LabelBuffer, now: float) -> bool:
        wanted = self.config.performance
        if len(buffer.truth) >= wanted.labels:
            return True
        return now - buffer.opened >= wanted.seconds and len(buffer.truth) >= wanted.min_labels

    def _judge_performance(self, key: tuple[str, str], buffer: _LabelBuffer) -> None:
        model, version = key
        measured = performance(buffer.truth, buffer.scores)
        values = {"readiness_model_accuracy": measured.accuracy, "readiness_model_f1": measured.f1}
        if measured.auc is not None:
            values["readiness_model_auc"] = measured.auc
        now = datetime.now(UTC)
        self.store.write_window(model, version, "performance", now, now, measured.labelled,
                                measured.model_dump())  # fmt: skip
        self.metrics.windows.labels(model, "performance").inc()
        detail = f"{measured.labelled} labelled predictions of version {version}"
        self._conclude(model, version, values, {"readiness_model_accuracy": detail})

    def _judge_fairness(self, model: str) -> None:
        assert self.fairness_policy is not None
        records = list(self._recent.get(model, ()))
        if len(records) < self.config.fairness.min_labels:
            return
        version = records[-1][0]
        groups = pd.DataFrame(
            [{f: r.features.get(f) for f in self.fairness_policy.sensitive_features}
             for _, r in records]
        )  # fmt: skip
        truth = np.array([r.truth for _, r in records])
        scores = np.array([r.probability for _, r in records])
        if groups.dropna().empty:
            return
        measured = fairness_window(truth, scores, groups, self.fairness_policy)
        values = {
            "readiness_fairness_calibration_gap_max": max(
                measured.calibration_gap(f) for f in self.fairness_policy.sensitive_features
            ),
        }
        if ratios := measured.demographic_parity_ratio:  # empty: no two groups large enough
            values["readiness_fairness_dp_ratio_min"] = min(ratios.values())
        if differences := measured.equalized_odds_difference:
            values["readiness_fairness_eo_difference_max"] = max(differences.values())
        if bounds := measured.equalized_odds_lower:
            values["readiness_fairness_eo_lower_max"] = max(bounds.values())
        for feature, ratio in ratios.items():
            self.metrics.fairness.labels(model, feature, "dp_ratio").set(ratio)
        for feature, difference in differences.items():
            self.metrics.fairness.labels(model, feature, "eo_difference").set(difference)
        for feature, bound in bounds.items():
            self.metrics.fairness.labels(model, feature, "eo_difference_lower").set(bound)
        now = datetime.now(UTC)
        self.store.write_window(model, version, "fairness", now, now, measured.labelled,
                                measured.model_dump())  # fmt: skip
        self.metrics.windows.labels(model, "fairness").inc()
        detail = "; ".join(measured.report.violations)
        self._conclude(
            model,
            version,
            values,
            {
                "readiness_fairness_eo_difference_max": detail,
                "readiness_fairness_eo_lower_max": detail,
            },
        )

    def _conclude(
        self, model: str, version: str, values: dict[str, float], details: dict[str, str]
    ) -> None:
        self.metrics.publish(model, values)
        for alert in self.engine.observe(model, version, values, details):
            self.store.save_alert(alert)
        for alert in self.engine.firing(model):
            self.metrics.alerts.labels(model, alert.rule, str(alert.severity)).set(1)
        for rule in self.engine.rules.rules:
            if not any(a.rule == rule.name for a in self.engine.firing(model)):
                self.metrics.alerts.labels(model, rule.name, str(rule.severity)).set(0)


def _psi_detail(drifted: DriftResult) -> str:
    return ", ".join(f"{name}={drifted.psi[name]:.3f}" for name in drifted.above(0.1))


def _fields(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} ({count})" for name, count in sorted(counts.items()))


def _quality_detail(refused: dict[str, dict[str, int]]) -> str:
    return "; ".join(f"{kind}: {_fields(fields)}" for kind, fields in sorted(refused.items()))
