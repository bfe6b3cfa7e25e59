"""The probe registry: binds each probe function to its rubric entry, and fails at start-up
on anything that would otherwise give a quiet wrong score (Scorecard's
`internal/probes/probes.go`): a duplicate, a probe the rubric does not define, a rubric
entry with no probe, or evidence that no collector provides."""

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from assessment.evidence import EVIDENCE
from assessment.probes import ProbeFunction
from assessment.probes.scenarios import scenario_probe
from assessment.rubric import ProbeDefinition, Rubric, rubric
from readiness.errors import RubricMismatch


@dataclass(frozen=True)
class RegisteredProbe:
    definition: ProbeDefinition
    function: ProbeFunction


class ProbeRegistry:
    def __init__(self, rubric: Rubric, evidence: Iterable[str] = EVIDENCE) -> None:
        self.rubric = rubric
        self.evidence = frozenset(evidence)
        self._probes: dict[str, RegisteredProbe] = {}

    def register(self, function: ProbeFunction, name: str | None = None) -> None:
        id = name or getattr(function, "__name__", "")
        if not id:
            raise RubricMismatch("a probe needs a name")
        if id in self._probes:
            raise RubricMismatch(f"probe '{id}' is registered twice")
        definitions = {p.id: p for p in self.rubric.probes}
        if id not in definitions:
            raise RubricMismatch(f"probe '{id}' has no entry in the rubric")
        definition = definitions[id]
        unknown = [name for name in definition.evidence if name not in self.evidence]
        if unknown:
            raise RubricMismatch(
                f"probe '{id}' needs evidence nobody collects: {', '.join(unknown)}"
            )
        self._probes[id] = RegisteredProbe(definition, function)

    def complete(self) -> "ProbeRegistry":
        missing = [p.id for p in self.rubric.probes if p.id not in self._probes]
        if missing:
            raise RubricMismatch(f"rubric probes without an implementation: {', '.join(missing)}")
        return self

    def probes(self) -> list[RegisteredProbe]:
        """In rubric order."""
        return [self._probes[p.id] for p in self.rubric.probes]


def build_registry(rubric: Rubric, functions: Iterable[ProbeFunction]) -> ProbeRegistry:
    registry = ProbeRegistry(rubric)
    for function in functions:
        registry.register(function)
    for definition in rubric.probes:
        if definition.scenario is not None:
            registry.register(scenario_probe(definition.scenario), definition.id)
    return registry.complete()


@cache
def default_registry() -> ProbeRegistry:
    from assessment.probes.entries import PROBES

    return build_registry(rubric(), PROBES)
