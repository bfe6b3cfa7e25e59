"""Probes: pure functions that answer one question of the rubric from evidence.

A probe receives an `Evidence` view that lets it read only the facts its rubric entry
declares (reading another raises), and returns a `Verdict`. Probes do no I/O. They live one
module per dimension and are listed in `assessment.probes.entries`; the registry
(`assessment.registry`) binds each to its rubric entry.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from assessment.facts import Fact
from readiness.bundle import Outcome
from readiness.errors import UndeclaredEvidence


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    detail: str
    evidence: tuple[str, ...] = ()
    """Ids of evidence beyond the facts read (scenario evidence records)."""


def passes(detail: str, *evidence: str) -> Verdict:
    return Verdict(Outcome.PASS, detail, evidence)


def fails(detail: str, *evidence: str) -> Verdict:
    return Verdict(Outcome.FAIL, detail, evidence)


def unknown(detail: str, *evidence: str) -> Verdict:
    return Verdict(Outcome.NOT_AVAILABLE, detail, evidence)


def not_applicable(detail: str) -> Verdict:
    return Verdict(Outcome.NOT_APPLICABLE, detail)


def judge(condition: bool, yes: str, no: str) -> Verdict:
    return passes(yes) if condition else fails(no)


@dataclass
class Evidence:
    """The facts one probe may read; records which it read, for the finding's links."""

    probe: str
    declared: tuple[str, ...]
    facts: Mapping[str, Fact]
    read: list[str] = field(default_factory=list)

    def fact(self, name: str) -> Fact | None:
        if name not in self.declared:
            raise UndeclaredEvidence(f"probe '{self.probe}' reads undeclared evidence '{name}'")
        found = self.facts.get(name)
        if found is not None and found.id not in self.read:
            self.read.append(found.id)
        return found

    def value(self, name: str) -> Any:
        """The fact's value when it was collected, else None."""
        found = self.fact(name)
        return found.value if found is not None and found.collected else None

    def why_missing(self, name: str) -> str:
        found = self.fact(name)
        if found is None:
            return f"no {name} evidence was collected"
        return found.reason or f"{name}: {found.status}"


ProbeFunction = Callable[[Evidence], Verdict]


def declared_section(
    evidence: Evidence, key: str, missing: str, shown: Callable[[dict[str, Any]], str]
) -> Verdict:
    """A level-2 question: does the descriptor declare its `key` section? `shown` says what
    it declares; `missing` says what is not."""
    declared = evidence.value("descriptor")
    if declared is None:
        return unknown(evidence.why_missing("descriptor"))
    section = declared.get(key)
    return passes(shown(section)) if section else fails(missing)
