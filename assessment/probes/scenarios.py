"""Level-5 probes answered by scenarios: one function for every rubric entry with a
`scenario` check, bound to it by the registry."""

from functools import partial

from assessment.probes import Evidence, ProbeFunction, Verdict, fails, passes, unknown
from assessment.rubric import ScenarioCheck
from harness.events import Outcome


def scenario_met(check: ScenarioCheck, evidence: Evidence) -> Verdict:
    """Passes when the scenario ran and every expectation of it that uses one of the
    measures met its tolerance; unknown when it did not run or measured nothing."""
    runs = evidence.value("scenarios")
    if runs is None:
        return unknown(evidence.why_missing("scenarios"))
    run = runs.get(check.name)
    if run is None:
        return unknown(f"the {check.name} scenario was not run")
    relevant = [e for e in run.get("expectations", []) if e.get("measure") in check.measures]
    ids = tuple(str(e["evidence_id"]) for e in relevant)
    if not relevant:
        return unknown(
            f"the {check.name} scenario ({run.get('status')}) has no expectation "
            f"measured by {', '.join(check.measures)}"
        )
    lines = [f"{e['name']}: {e['outcome']} ({e.get('detail') or e.get('value')})" for e in relevant]
    outcomes = {e.get("outcome") for e in relevant}
    if Outcome.FAIL in outcomes or Outcome.ERROR in outcomes:
        return fails("; ".join(lines), *ids)
    if outcomes == {Outcome.PASS}:
        return passes("; ".join(lines), *ids)
    return unknown("; ".join(lines), *ids)


def scenario_probe(check: ScenarioCheck) -> ProbeFunction:
    return partial(scenario_met, check)
