"""Facts as a collector would stamp them, for probe tables: a probe reads only what its
Evidence holds, so a table of cases is a table of fact values."""

import time
from typing import Any

from assessment.facts import Fact, FactProvenance, FactStatus
from assessment.probes import Evidence, ProbeFunction, Verdict
from assessment.rubric import rubric
from readiness.bundle import Outcome


def stamp(collector: str = "live") -> FactProvenance:
    return FactProvenance(
        collector=collector, source="test", observed_at=time.time(), tool_version="test",
        code_version="test", deployment_digest="d",
    )  # fmt: skip


def collected(name: str, value: Any, collector: str = "live") -> Fact:
    return Fact(name=name, status=FactStatus.COLLECTED, value=value, provenance=stamp(collector))


def unavailable(name: str, reason: str) -> Fact:
    return Fact(name=name, status=FactStatus.UNAVAILABLE, value=None, provenance=stamp(),
                reason=reason)  # fmt: skip


def evidence_of(probe: str, declared: tuple[str, ...], *facts: Fact) -> Evidence:
    """The Evidence `probe` sees: it may read `declared`, of which `facts` were collected."""
    return Evidence(probe, declared, {fact.name: fact for fact in facts})


class Missing:
    """A fact its collector could not collect, saying why."""

    def __init__(self, reason: str) -> None:
        self.reason = reason


def verdict(probe: ProbeFunction, facts: dict[str, Any]) -> Verdict:
    """`probe`'s verdict where the facts the rubric declares for it hold `facts` (a value
    is collected, a `Missing` unavailable, an absent name never collected)."""
    name = probe.__name__
    declared = tuple(rubric().probe(name).evidence)
    stamped = [unavailable(fact, value.reason) if isinstance(value, Missing)
               else collected(fact, value) for fact, value in facts.items()]  # fmt: skip
    return probe(evidence_of(name, declared, *stamped))


Case = tuple[ProbeFunction, dict[str, Any], Outcome, str]
"""A row of a probe table: the probe, its facts (as `verdict` takes them), the outcome it
must reach, and a part of the detail it must say."""


def judged_as_expected(case: Case) -> None:
    probe, facts, outcome, detail = case
    found = verdict(probe, facts)
    assert found.outcome is outcome, found.detail
    assert detail in found.detail
