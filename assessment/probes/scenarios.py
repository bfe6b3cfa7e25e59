"""Level-5 probes answered by scenarios: one function for every rubric entry with a
`scenario` check, bound to it by the registry."""

from functools import partial

from assessment.probes import Evidence, ProbeFunction, Verdict, fails, passes, unknown
from assessment.rubric import ScenarioCheck
from readiness.bundle import Outcome


def scenario_met(check: ScenarioCheck, evidence: Evidence) -> Verdict:
    """Passes when one of the scenarios ran and every expectation of those that ran that
    uses one of the measures met its tolerance; unknown when none ran or measured nothing."""
    runs = evidence.value("scenarios")
    if runs is None:
        return unknown(evidence.why_missing("scenarios"))
    ran = {name: runs[name] for name in check.names if name in runs}
    named = " or ".join(check.names)
    if not ran:
        return unknown(f"the {named} scenario was not run")
    relevant = [
        (name, e) for name, run in ran.items() for e in run.get("expectations", [])
        if e.get("measure") in check.measures
    ]  # fmt: skip
    ids = tuple(str(e["evidence_id"]) for _, e in relevant)
    if not relevant:
        statuses = ", ".join(f"{name}: {run.get('status')}" for name, run in ran.items())
        return unknown(
            f"the {named} scenario ({statuses}) has no expectation "
            f"measured by {', '.join(check.measures)}"
        )
    prefix = len(ran) > 1
    lines = [f"{name + ': ' if prefix else ''}{e['name']}: {e['outcome']} "
             f"({e.get('detail') or e.get('value')})" for name, e in relevant]  # fmt: skip
    outcomes = {e.get("outcome") for _, e in relevant}
    if Outcome.FAIL in outcomes or Outcome.ERROR in outcomes:
        return fails("; ".join(lines), *ids)
    if outcomes == {Outcome.PASS}:
        return passes("; ".join(lines), *ids)
    return unknown("; ".join(lines), *ids)


def scenario_probe(check: ScenarioCheck) -> ProbeFunction:
    return partial(scenario_met, check)
