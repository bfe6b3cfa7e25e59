"""The registry refuses, at start-up, anything that would score quietly wrong."""

import pytest

from assessment.facts import Fact
from assessment.probes import Evidence, Verdict, passes
from assessment.probes.entries import PROBES
from assessment.registry import ProbeRegistry, build_registry, default_registry
from assessment.rubric import rubric
from readiness.errors import RubricMismatch, UndeclaredEvidence
from tests.assessment.bundles import fact


def declares_registry(evidence: Evidence) -> Verdict:
    return passes("fine")


def test_the_default_registry_binds_every_rubric_probe() -> None:
    assert [p.definition.id for p in default_registry().probes()] == [p.id for p in rubric().probes]


def test_a_probe_registered_twice_is_refused() -> None:
    registry = ProbeRegistry(rubric())
    registry.register(declares_registry)
    with pytest.raises(RubricMismatch, match="probe 'declares_registry' is registered twice"):
        registry.register(declares_registry)


def test_a_probe_the_rubric_does_not_define_is_refused() -> None:
    def has_magic(evidence: Evidence) -> Verdict:
        return passes("magic")

    with pytest.raises(RubricMismatch, match="probe 'has_magic' has no entry in the rubric"):
        ProbeRegistry(rubric()).register(has_magic)


def test_a_probe_needing_evidence_nobody_collects_is_refused() -> None:
    registry = ProbeRegistry(rubric(), evidence={"registry"})
    with pytest.raises(RubricMismatch, match="needs evidence nobody collects: descriptor"):
        registry.register(declares_registry)


def test_a_rubric_probe_without_an_implementation_is_refused() -> None:
    with pytest.raises(RubricMismatch, match=r"without an implementation: .*health_answers"):
        build_registry(rubric(), [p for p in PROBES if p.__name__ != "health_answers"])


def test_a_probe_reading_evidence_it_did_not_declare_is_stopped() -> None:
    facts: dict[str, Fact] = {"registry": fact("registry", {})}
    evidence = Evidence("declares_registry", ("descriptor",), facts)
    with pytest.raises(UndeclaredEvidence, match="reads undeclared evidence 'registry'"):
        evidence.value("registry")
