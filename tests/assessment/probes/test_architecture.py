"""The low-load latency probe: a p99 within the SLO passes, one past it fails with both
figures, and predictions not all answered 2xx fail saying what was sent: the system's own
rows, or the one instance built from its request schema where it declared none. The
other architecture probes: a pattern and SLOs declared, a scale served by what the
whitepaper's scaling table asks of its stage, health answering, an SLO and a measured p99
within the pattern's latency class, and the cost of 1,000 predictions measured."""

from typing import Any

import pytest

from assessment.probes import Evidence
from assessment.probes.architecture import (
    cost_per_prediction_measured,
    declares_pattern_and_slos,
    declares_scale_fitting_the_pattern,
    health_answers,
    pattern_fits_slo_class,
    predicts_within_slo_at_low_load,
)
from readiness.bundle import Outcome
from tests.assessment.probes.facts import (
    Case,
    Missing,
    collected,
    evidence_of,
    judged_as_expected,
)

DESCRIPTOR = {"slos": {"p99_latency_ms": 100}}
REFUSAL = '400 {"message": "unknown category"}'


def evidence(low_load: dict[str, Any]) -> Evidence:
    return evidence_of(
        "predicts_within_slo_at_low_load",
        ("descriptor", "low_load"),
        collected("descriptor", DESCRIPTOR),
        collected("low_load", low_load),
    )


def measured(answered: int, p99: float | None, rows: str, statuses: dict[str, int]) -> Any:
    return {"requests": 30, "answered": answered, "p99_ms": p99, "statuses": statuses,
            "refusals": [REFUSAL] if answered < 30 else [], "rows": rows,
            "warmup_statuses": {"200": 3}}  # fmt: skip


OWN, BUILT = "the system's own rows", "one built from its schema"
CASES = {
    "within the SLO": (measured(30, 71.1, OWN, {"200": 30}), Outcome.PASS,
                       "p99 71.1 ms over 30 predictions (SLO 100)"),
    "past the SLO": (measured(30, 125.1, OWN, {"200": 30}), Outcome.FAIL,
                     "p99 125.1 ms exceeds the SLO of 100 ms"),
    "valid rows refused": (
        measured(28, 20.0, OWN, {"200": 28, "400": 2}), Outcome.FAIL,
        "28 of 30 predictions of valid rows answered 2xx (statuses {'200': 28, '400': 2}); "
        f"it refused valid rows: {REFUSAL}"),
    "the built instance refused": (
        measured(0, None, BUILT, {"400": 30}), Outcome.FAIL,
        "0 of 30 predictions of the one instance built from its request schema (no data.rows "
        f"declared) answered 2xx (statuses {{'400': 30}}); it refused it: {REFUSAL}"),
}  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_the_low_load_probe_says_what_was_sent_and_measured(case: str) -> None:
    value, outcome, detail = CASES[case]
    found = predicts_within_slo_at_low_load(evidence(value))
    assert found.outcome is outcome, found.detail
    assert found.detail == detail


STREAMING = {"pattern": "streaming", "slos": {"p99_latency_ms": 500}}
PATTERN_CASES: dict[str, Case] = {
    "a pattern and a p99 SLO": (
        declares_pattern_and_slos,
        {"descriptor": {"pattern": "real-time", "slos": {"p99_latency_ms": 100,
                                                          "error_rate": 0.01}}},
        Outcome.PASS, "pattern real-time, p99 SLO 100 ms, error rate 0.01"),
    "a pattern without an SLO": (
        declares_pattern_and_slos, {"descriptor": {"pattern": "edge", "slos": {}}},
        Outcome.FAIL, "the descriptor declares no pattern or no p99 latency SLO"),
    "no descriptor read": (
        declares_pattern_and_slos, {"descriptor": Missing("descriptor.yaml: line 3: bad")},
        Outcome.NOT_AVAILABLE, "descriptor.yaml: line 3: bad"),
    "a Growth volume with autoscaling and a queue": (
        declares_scale_fitting_the_pattern,
        {"descriptor": {"scale": {"requests_per_day": 50_000,
                                  "capabilities": ["autoscaling", "request-queue"]}}},
        Outcome.PASS, "50,000 requests/day: has autoscaling, request-queue"),
    "an Enterprise volume on a load balancer only": (
        declares_scale_fitting_the_pattern,
        {"descriptor": {"scale": {"requests_per_day": 5_000_000,
                                  "capabilities": ["load-balancer"]}}},
        Outcome.FAIL, "5,000,000 requests/day needs multi-region, model-parallelism, caching "
        "(declared: load-balancer)"),
    "no scale declared": (
        declares_scale_fitting_the_pattern, {"descriptor": {}},
        Outcome.FAIL, "no scale declared (scale.requests_per_day)"),
    "health and ready answer": (
        health_answers, {"health": {"health": 200, "ready": 200}},
        Outcome.PASS, "health 200, ready 200"),
    "ready answers 503": (
        health_answers, {"health": {"health": 200, "ready": 503}},
        Outcome.FAIL, "not all answer 2xx: health 200, ready 503"),
    "no health endpoint reached": (
        health_answers, {"health": Missing("connection refused at 127.0.0.1:9")},
        Outcome.NOT_AVAILABLE, "connection refused at 127.0.0.1:9"),
    "a streaming SLO and p99 within its class": (
        pattern_fits_slo_class, {"descriptor": STREAMING, "low_load": {"p99_ms": 240.0}},
        Outcome.PASS, "streaming: SLO 500 ms and measured p99 240.0 ms <= 1000"),
    "a real-time SLO beyond its class": (
        pattern_fits_slo_class,
        {"descriptor": {"pattern": "real-time", "slos": {"p99_latency_ms": 400}}},
        Outcome.FAIL, "a p99 SLO of 400 ms is outside the real-time class (<= 100 ms)"),
    "an edge p99 measured beyond its class": (
        pattern_fits_slo_class,
        {"descriptor": {"pattern": "edge", "slos": {"p99_latency_ms": 40}},
         "low_load": {"p99_ms": 75.0}},
        Outcome.FAIL, "measured p99 75.0 ms is outside the edge class (<= 50 ms)"),
    "the SLO fits but nothing was measured": (
        pattern_fits_slo_class, {"descriptor": STREAMING},
        Outcome.NOT_AVAILABLE, "the SLO fits the streaming class; no low_load evidence"),
    "CPU seconds per 1,000 measured": (
        cost_per_prediction_measured,
        {"scenario_metrics": {"cpu_seconds_per_1k": 1.25,
                              "cpu_seconds_per_1k_why": "process_cpu_seconds over 3 processes"}},
        Outcome.PASS, "1.25 CPU seconds per 1,000 predictions at nominal load (process_cpu"),
    "no CPU samples to divide": (
        cost_per_prediction_measured,
        {"scenario_metrics": {"cpu_seconds_per_1k_why": "the target exports no CPU counter"}},
        Outcome.NOT_AVAILABLE, "the target exports no CPU counter"),
}  # fmt: skip


@pytest.mark.parametrize("case", PATTERN_CASES, ids=list(PATTERN_CASES))
def test_each_architecture_probe_judges_its_evidence(case: str) -> None:
    judged_as_expected(PATTERN_CASES[case])
