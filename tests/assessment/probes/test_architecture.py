"""The low-load latency probe: a p99 within the SLO passes, one past it fails with both
figures, and predictions not all answered 2xx fail saying what was sent: the system's own
rows, or the one instance built from its request schema where it declared none."""

from typing import Any

import pytest

from assessment.probes import Evidence
from assessment.probes.architecture import predicts_within_slo_at_low_load
from readiness.bundle import Outcome
from tests.assessment.probes.facts import collected, evidence_of

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
