"""Shadow mode through a real HTTP admin API (the double), and its gate."""

import re
from collections.abc import Iterator

import pytest

from reference.platform.retraining.admin import HttpDeploymentAdmin
from reference.platform.retraining.policy import ShadowGate
from reference.platform.retraining.shadow import ShadowStatus, watch_shadow
from tests.reference.platform.retraining.admin_double import KEY, AdminDouble, serving

GATE = ShadowGate(min_comparisons=40, min_agreement=0.9, timeout_s=0.5, poll_s=0.05)


@pytest.fixture
def double() -> Iterator[AdminDouble]:
    with serving(AdminDouble(champion="3", shadow_answers=50)) as running:
        yield running


def admin_of(double: AdminDouble) -> HttpDeploymentAdmin:
    return HttpDeploymentAdmin(double.url.replace("{model}", "adult-income"), KEY, "adult-income")


def test_a_challenger_that_agrees_passes_and_the_routing_is_put_back(double: AdminDouble) -> None:
    result = watch_shadow(admin_of(double), "4", GATE)
    assert (result.status, result.comparisons, result.agreement) == (ShadowStatus.PASSED, 50, 1.0)
    assert result.served_champion == "3"
    puts = [body for method, route, body in double.calls if (method, route) == ("PUT", "routing")]
    assert puts == [
        {"challenger": "4", "canary_weight": 0.0, "shadow": True, "pins": {}},
        {"challenger": None, "canary_weight": 0.0, "shadow": False, "pins": {}},
    ]


def test_a_challenger_that_disagrees_too_often_fails_the_agreement_check(
    double: AdminDouble,
) -> None:
    double.agreement = 0.8
    result = watch_shadow(admin_of(double), "4", GATE)
    assert result.status is ShadowStatus.DISAGREED
    (agreement,) = [c for c in result.checks if c.name == "shadow-agreement"]
    assert not agreement.passed
    assert agreement.detail == (
        "challenger took champion 3's decision on 80.0% of 50 live requests "
        "(below the policy's 90.0%)"
    )


def test_too_little_traffic_times_out_and_says_so(double: AdminDouble) -> None:
    double.shadow_answers = 10
    result = watch_shadow(admin_of(double), "4", GATE)
    assert result.status is ShadowStatus.TIMED_OUT
    assert [c.passed for c in result.checks] == [False]
    assert re.fullmatch(
        r"shadow mode timed out after 0\.[5-9] s with 10 of the 40 comparisons the policy needs",
        result.checks[0].detail,
    )
    assert double.table["challenger"] is None  # the routing was put back all the same


def test_a_canary_in_progress_is_restored_after_the_shadow(double: AdminDouble) -> None:
    double.table.update(challenger="2", canary_weight=0.1, pins={"team-a": "3", "team-b": "2"})
    watch_shadow(admin_of(double), "4", GATE)
    puts = [body for method, route, body in double.calls if (method, route) == ("PUT", "routing")]
    assert puts[0]["pins"] == {"team-a": "3"}  # a pin to the old canary cannot stay meanwhile
    assert puts[-1] == {"challenger": "2", "canary_weight": 0.1, "shadow": False,
                        "pins": {"team-a": "3", "team-b": "2"}}  # fmt: skip


def test_only_the_challengers_comparisons_count(double: AdminDouble) -> None:
    double.comparisons = [
        {"request_id": f"old{i}", "position": 0, "served_version": "3",
         "served_probability": 0.9, "shadow_version": "2", "shadow_probability": 0.1}
        for i in range(100)
    ]  # fmt: skip
    double.shadow_answers = 10
    result = watch_shadow(admin_of(double), "4", GATE)
    assert (result.status, result.comparisons) == (ShadowStatus.TIMED_OUT, 10)
