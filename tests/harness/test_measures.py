"""Measures read a recording and answer a number, or None with the reason: table-driven, one
case per outcome, on recordings built by hand so the right answer is known."""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pytest

from harness.measures import MEASURES, Measurement
from harness.recording import REQUEST_COLUMNS, SAMPLE_COLUMNS, Recording, StepTimes
from readiness.descriptor import SLOs

FAULT = 100.0
Row = tuple[Any, ...]
SLO = SLOs(p99_latency_ms=100, error_rate=0.01, availability=0.99)


def alert(time: float, firing: float, severity: str = "medium", rule: str = "drift") -> Row:
    labels = json.dumps({"model": "m", "rule": rule, "severity": severity}, sort_keys=True)
    return (time, "monitor_metrics", "readiness_alerts_firing", labels, firing)


def prometheus_alert(time: float, state: str) -> Row:
    labels = {"alertname": "HighLatency", "alertstate": state, "severity": "low"}
    return (time, "metrics", "ALERTS", json.dumps(labels, sort_keys=True), 1.0)


def gauge(time: float, metric: str, value: float, **labels: str) -> Row:
    text = json.dumps(labels, sort_keys=True) if labels else ""
    return (time, "metrics", metric, text, value)


def request(time: float, status: int = 200, latency: float = 10.0, version: str = "1",
            defect: str = "", request_id: str = "") -> Row:  # fmt: skip
    return (time, latency, status, version if 200 <= status < 300 else "", "predict", "",
            "none", defect, request_id)  # fmt: skip


def streamed(*rows: tuple[float, int, int, float | None], status: int = 202) -> Recording:
    """Accepted requests followed up on a stream: (sent, predictions, actions, acted at)."""
    found = recording(requests=[request(sent, status, request_id=f"r{i}")
                                for i, (sent, *_) in enumerate(rows)])  # fmt: skip
    found.requests["results"] = [float(row[1]) for row in rows]
    found.requests["actions"] = [float(row[2]) for row in rows]
    found.requests["completed_at"] = [float("nan") if row[3] is None else row[3] for row in rows]
    found.follow_up = f"{len(rows)} accepted requests followed up"
    return found


def answered_at_once(*rows: tuple[float, int]) -> Recording:
    """Requests to a target that takes no action after its answer (an edge fleet), followed
    up to the records the cloud holds: (sent, predictions)."""
    found = streamed(*[(sent, predictions, 0, None) for sent, predictions in rows], status=200)
    found.requests["actions"] = float("nan")
    return found


def recording(samples: Sequence[Row] = (), requests: Sequence[Row] = (), **steps: Any) -> Recording:
    found = Recording("s", started=0.0, ended=200.0, slos=SLO)
    found.samples = pd.DataFrame.from_records(list(samples), columns=list(SAMPLE_COLUMNS))
    found.requests = pd.DataFrame.from_records(list(requests), columns=list(REQUEST_COLUMNS))
    found.steps = {name: StepTimes(name, FAULT, FAULT + 1, "succeeded", output)
                   for name, output in steps.items()}  # fmt: skip
    return found


@dataclass(frozen=True)
class Case:
    measure: str
    recording: Recording
    arguments: dict[str, Any]
    value: float | None
    detail: str


STEADY = [request(t / 10) for t in range(900, 1200)]
CASES = {
    "an alert that fires after the fault gives its delay": Case(
        "alert_delay_s", recording([alert(99, 0), alert(104, 0), alert(112.5, 1)]),
        {"severity": "medium"}, 12.5, "fired 12.5 s after the fault"),
    "an alert already firing before the fault is not a detection": Case(
        "alert_delay_s", recording([alert(99, 1), alert(104, 1)]), {}, None,
        "no new matching alert fired after the fault (drift already firing before it)"),
    "a new alert counts though another was firing before the fault": Case(
        "alert_delay_s", recording([alert(99, 1), alert(104, 1), alert(107, 1, "high", "dq")]),
        {}, 7.0, "alert 'dq' (high) fired 7.0 s"),
    "an alert of another severity does not count": Case(
        "alert_delay_s", recording([alert(99, 0), alert(110, 1, "low")]), {"severity": "medium"},
        None, "no new medium alert fired"),
    "a firing Prometheus ALERTS series counts, named by its alertname": Case(
        "alert_delay_s", recording([alert(99, 0), prometheus_alert(104, "firing")]), {}, 4.0,
        "alert 'HighLatency' (low) fired 4.0 s"),
    "a pending Prometheus alert is not firing": Case(
        "alert_delay_s", recording([alert(99, 0), prometheus_alert(104, "pending")]), {}, None,
        "no new matching alert fired"),
    "a target without alert metrics is not measured": Case(
        "alert_delay_s", recording([gauge(101, "up", 1)]), {}, None, "exports no alert metric"),
    "alerts fired are counted by name": Case(
        "alerts_fired", recording([alert(120, 1), alert(121, 1), alert(125, 1, "high", "dq")]),
        {}, 2, "fired: dq, drift"),
    "no alert fired counts zero": Case(
        "alerts_fired", recording([alert(120, 0)]), {}, 0, "fired: none"),
    "server errors and unanswered requests count as lost": Case(
        "lost_requests", recording(requests=[request(101), request(102, 500), request(103, 0),
                                             request(104, 422, defect="null")]), {}, 2,
        "1 x no answer, 1 x 500"),
    "a valid row refused with a 4xx is lost, not rightly refused": Case(
        "lost_requests", recording(requests=[request(101), request(102, 400),
                                             request(103, 422, defect="null")]), {}, 1,
        "1 of 3: 1 x 400"),
    "a valid row refused counts in the error rate": Case(
        "error_rate", recording(requests=[request(101), request(102, 422)]), {}, 0.5,
        "1 of 2 failed"),
    "traffic served counts only 2xx answers": Case(
        "requests", recording(requests=[request(101 + i, 400) for i in range(5)]), {}, 0,
        "0 of 5 answered 2xx"),
    "lost requests before the fault do not count": Case(
        "lost_requests", recording(requests=[request(99, 500), request(101)]), {}, 0, "none"),
    "no request at all is not measured": Case(
        "lost_requests", recording(), {}, None, "no predict request was made"),
    "the error rate is errors over requests": Case(
        "error_rate", recording(requests=[request(101), request(102, 503), request(103),
                                          request(104)]), {}, 0.25, "1 of 4 failed"),
    "p99 over the SLO is a ratio above 1": Case(
        "latency_slo_ratio", recording(requests=[request(101 + i / 100, latency=150.0)
                                                 for i in range(50)]), {}, 1.5, "SLO of 100 ms"),
    "recovery is the first second of a run within the SLO": Case(
        "recovery_time_s", recording(requests=[request(100 + t / 10, latency=300 if t < 30 else 5)
                                               for t in range(0, 150)]),
        {"hold_s": 5}, 3.0, "from 3 s after the fault"),
    "never back within the SLO is not measured": Case(
        "recovery_time_s", recording(requests=[request(101 + t / 10, 500) for t in range(50)]),
        {}, None, "never 5 s in a row"),
    "predictions by a version new after the fault are counted": Case(
        "new_version_predictions",
        recording(requests=[request(99, version="2"), request(101, version="3"),
                            request(102, version="3"), request(103, version="2")]), {}, 2,
        "answered by new versions: 3"),
    "the rollback delay is when the old version answers again": Case(
        "rollback_delay_s",
        recording(requests=[request(99, version="2"), request(101, version="3"),
                            request(120, version="3"), request(121, version="2"),
                            request(122, version="2")]), {}, 21.0, "answered again 21.0 s"),
    "a bad version still serving at the end was never rolled back": Case(
        "rollback_delay_s",
        recording(requests=[request(99, version="2"), request(101, version="3")]), {}, None,
        "never answered again"),
    "a condition that starts holding after the fault gives its delay": Case(
        "condition_delay_s",
        recording([gauge(99, "eo", 0.05), gauge(130, "eo", 0.3)]),
        {"any_of": [{"metric": "eo", "op": ">", "value": 0.1}]}, 30.0, "eo > 0.1 30.0 s"),
    "a condition that already held before the fault is not a detection": Case(
        "condition_delay_s",
        recording([gauge(99, "dp", 0.3), gauge(130, "dp", 0.3)]),
        {"any_of": [{"metric": "dp", "op": "<", "value": 0.8}]}, None, "no condition held"),
    "replicas added are the rise over the value at the fault": Case(
        "metric_increase",
        recording([gauge(99, "readiness_replicas", 1, version="1"),
                   gauge(110, "readiness_replicas", 2, version="1"),
                   gauge(110, "readiness_replicas", 1, version="2")]),
        {"metric": "readiness_replicas"}, 2.0, "from 1 to at most 3"),
    "a number in a step's output is read by its path": Case(
        "step_output", recording(scan={"summary": {"server_errors": 3}}),
        {"step": "scan", "field": "summary.server_errors"}, 3.0, "server_errors = 3"),
    "a missing field in a step's output is not measured": Case(
        "step_output", recording(scan={"summary": {}}),
        {"step": "scan", "field": "summary.server_errors"}, None, "is not a number"),
    "an accepted event never acted on is a lost result": Case(
        "lost_results", streamed((101, 1, 1, 101.2), (102, 0, 0, None), (103, 1, 0, None)),
        {}, 2, "2 of 3 accepted requests without a result (1 without a prediction, 2 without"),
    "a lost result before the fault does not count": Case(
        "lost_results", streamed((99, 0, 0, None), (101, 1, 1, 101.2)), {}, 0, "0 of 1"),
    "a target without a results endpoint is not measured for lost results": Case(
        "lost_results", recording(requests=[request(101, 202)]), {}, None,
        "declares no results endpoint"),
    "a second prediction or action for a request is a duplicate": Case(
        "duplicated_results", streamed((101, 2, 1, 101.2), (102, 1, 3, 102.1)), {}, 3,
        "1 extra predictions, 2 extra actions over 2 accepted"),
    "at a target that takes no action, a request whose record never came is lost": Case(
        "lost_results", answered_at_once((101, 1), (102, 0), (103, 1)), {}, 1,
        "1 of 3 accepted requests without a result (1 without a prediction, 0 without an"),
    "at a target that takes no action, a second record is a duplicate": Case(
        "duplicated_results", answered_at_once((101, 2), (102, 1)), {}, 1,
        "1 extra predictions, 0 extra actions over 2 accepted"),
    "end-to-end latency runs from sending to the action": Case(
        "latency_ms", streamed(*[(101 + i / 10, 1, 1, 101 + i / 10 + 0.25) for i in range(20)]),
        {"of": "end_to_end", "quantile": 0.5}, 250.0, "of 20 requests acted on, end to end"),
    "end to end against the SLO is a ratio": Case(
        "latency_slo_ratio", streamed((101, 1, 1, 101.05)), {"of": "end_to_end"}, 0.5,
        "50.0 ms against an SLO of 100 ms"),
    "end-to-end recovery counts an event never acted on as an error": Case(
        "recovery_time_s",
        streamed(*[(100 + t / 10, 1, t >= 20, 100 + t / 10 + 0.01 if t >= 20 else None)
                   for t in range(120)]),
        {"of": "end_to_end"}, 2.0, "from 2 s after the fault"),
    "defective requests refused with a 4xx are counted as a share": Case(
        "refused_share",
        recording(requests=[request(101, 422, defect="null"), request(102, 200, defect="x"),
                            request(103, 200)]), {"defective": True}, 0.5, "1 of 2 defective"),
}  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_a_measure_answers_the_known_value(case: str) -> None:
    found = CASES[case]
    measure = MEASURES[found.measure]
    parameters = measure.parameters.model_validate(found.arguments)
    result: Measurement = measure.compute(found.recording, FAULT, parameters)
    if found.value is None:
        assert result.value is None
    else:
        assert result.value == pytest.approx(found.value)
    assert found.detail in result.detail


def test_every_measure_has_a_description_and_what_it_reads() -> None:
    for measure in MEASURES.values():
        assert measure.description.endswith(".")
        assert measure.reads in ("requests", "samples", "steps")
