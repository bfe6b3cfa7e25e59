"""A level-5 probe is answered by the scenarios it names: it passes when every expectation
measured by its measures met tolerance, fails when one missed, and is unknown, saying why,
when no named scenario ran or none measured what it asks."""

from typing import Any

import pytest

from assessment.probes.scenarios import scenario_probe
from assessment.rubric import ScenarioCheck
from readiness.bundle import Outcome
from tests.assessment.probes.facts import Missing, collected, evidence_of, unavailable

CHECK = ScenarioCheck(names=["worker-failure", "consumer-crash"], measures=["lost_requests"])


def ran(*outcomes: str, measure: str = "lost_requests", status: str = "completed") -> Any:
    return {"status": status, "expectations": [
        {"name": f"lost {i}", "measure": measure, "outcome": o, "value": 0, "evidence_id": f"e{i}"}
        for i, o in enumerate(outcomes)]}  # fmt: skip


CASES: dict[str, tuple[Any, Outcome, str, tuple[str, ...]]] = {
    "the scenario ran and met its tolerance": (
        {"worker-failure": ran("pass")}, Outcome.PASS, "lost 0: pass (0)", ("e0",)),
    "another architecture's scenario answers the same question": (
        {"consumer-crash": ran("pass", "pass")}, Outcome.PASS, "lost 1: pass (0)", ("e0", "e1")),
    "one expectation missed": (
        {"worker-failure": ran("pass", "fail")}, Outcome.FAIL, "lost 1: fail (0)", ("e0", "e1")),
    "an expectation errored": (
        {"worker-failure": ran("error")}, Outcome.FAIL, "lost 0: error", ("e0",)),
    "both ran: each line names its scenario": (
        {"worker-failure": ran("pass"), "consumer-crash": ran("fail")}, Outcome.FAIL,
        "worker-failure: lost 0: pass (0); consumer-crash: lost 0: fail (0)", ("e0", "e0")),
    "an expectation left unmeasured": (
        {"worker-failure": ran("not_available")}, Outcome.NOT_AVAILABLE,
        "lost 0: not_available", ("e0",)),
    "the scenario measured something else": (
        {"worker-failure": ran("pass", measure="latency_ms", status="aborted")},
        Outcome.NOT_AVAILABLE, "the worker-failure or consumer-crash scenario (worker-failure: "
        "aborted) has no expectation measured by lost_requests", ()),
    "neither scenario ran": (
        {"traffic-spike": ran("pass")}, Outcome.NOT_AVAILABLE,
        "the worker-failure or consumer-crash scenario was not run", ()),
    "no scenarios in the bundle": (
        Missing("the run had --no-scenarios"), Outcome.NOT_AVAILABLE,
        "the run had --no-scenarios", ()),
}  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_a_scenario_probe_judges_the_expectations_of_its_scenarios(case: str) -> None:
    runs, outcome, detail, linked = CASES[case]
    fact = (unavailable("scenarios", runs.reason) if isinstance(runs, Missing)
            else collected("scenarios", runs))  # fmt: skip
    found = scenario_probe(CHECK)(evidence_of("scenario", ("scenarios",), fact))
    assert found.outcome is outcome, found.detail
    assert detail in found.detail
    assert found.evidence == linked, "a verdict links the evidence of the expectations read"
