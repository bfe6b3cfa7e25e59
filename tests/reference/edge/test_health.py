from collections.abc import Sequence

import pytest

from reference.edge.health import Probation, Verdict


def on_probation(latencies_ms: Sequence[float | None], confirm_after: int = 300) -> Probation:
    """A version judged after 50 predictions against a 10 ms budget, having seen these
    (None: the model failed on that one)."""
    probation = Probation("2", budget_ms=10.0, judge_after=50, confirm_after=confirm_after)
    for latency in latencies_ms:
        probation.observe(latency)
    return probation


@pytest.mark.parametrize(
    "latencies",
    [
        pytest.param([], id="nothing seen yet"),
        pytest.param([1.0] * 49, id="49 fast predictions"),
        pytest.param([500.0] * 49, id="49 slow predictions"),
        pytest.param([None] * 49, id="49 failed predictions"),
    ],
)
def test_a_version_stays_pending_below_judge_after(latencies: list[float | None]) -> None:
    probation = on_probation(latencies)
    assert probation.verdict() is Verdict.PENDING
    assert probation.reason == ""


def test_a_version_whose_p99_exceeds_the_budget_is_degraded_naming_p99_and_budget() -> None:
    probation = on_probation([50.0] * 50)
    assert probation.verdict() is Verdict.DEGRADED
    assert probation.reason == "p99 latency 50.0 ms over 50 predictions, budget 10 ms"


def test_a_few_slow_predictions_under_the_p99_do_not_degrade_a_version() -> None:
    assert on_probation([1.0] * 199 + [500.0]).verdict() is Verdict.PENDING


@pytest.mark.parametrize(
    ("latencies", "verdict", "reason"),
    [
        pytest.param([1.0] * 49 + [None], Verdict.DEGRADED, "error rate 2.0% over 50 predictions",
                     id="one failure in 50 is over 1%"),
        pytest.param([1.0] * 98 + [None] * 2, Verdict.DEGRADED,
                     "error rate 2.0% over 100 predictions", id="two failures in 100 are over 1%"),
        pytest.param([1.0] * 99 + [None], Verdict.PENDING, "",
                     id="one failure in 100 is not over 1%"),
    ],
)  # fmt: skip
def test_a_version_failing_on_more_than_one_prediction_in_a_hundred_is_degraded(
    latencies: list[float | None], verdict: Verdict, reason: str
) -> None:
    probation = on_probation(latencies)
    assert probation.verdict() is verdict
    assert probation.reason == reason


def test_a_version_is_confirmed_after_confirm_after_good_predictions() -> None:
    probation = on_probation([1.0] * 99, confirm_after=100)
    assert probation.verdict() is Verdict.PENDING
    probation.observe(1.0)
    assert probation.verdict() is Verdict.CONFIRMED


def test_a_slow_version_is_never_confirmed() -> None:
    assert on_probation([50.0] * 300).verdict() is Verdict.DEGRADED
