"""The rubric as data: dimensions with their targets and risks, probes with their question,
level, evidence and remediation. `rubric.yaml` is the one source; the probe registry, the
evaluators, the roadmap and `docs/probes.md` all read it from here."""

from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from readiness.documents import load_document
from readiness.errors import InvalidInput
from readiness.resources import shipped

RUBRIC_FILE = shipped("assessment", "rubric.yaml")
DIMENSIONS = (
    "architecture",
    "mlops",
    "observability",
    "governance",
    "security",
    "scalability",
    "reliability",
    "cost",
    "team",
    "compliance",
)
MIN_LEVEL, MAX_LEVEL = 1, 5


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Effort(StrEnum):
    S = "S"
    M = "M"
    L = "L"

    @property
    def weight(self) -> int:
        """Relative size, for ordering (gap x risk / effort) and the 30/60/90 buckets."""
        return {"S": 1, "M": 3, "L": 8}[self.value]


class Dimension(_Strict):
    id: str
    title: str
    question: str
    target: int = Field(ge=MIN_LEVEL, le=MAX_LEVEL)
    risk: int = Field(ge=1, le=3)


class Remediation(_Strict):
    text: str
    effort: Effort
    reference: str
    """Where in this repository it is done right."""


class ScenarioCheck(_Strict):
    """A level-5 probe's question, answered by scenarios of the bundle: it passes when at
    least one of the named scenarios ran and every expectation of those that ran using
    these measures met tolerance. Several names let each architecture answer with its own
    scenario (a killed replica, a killed stream consumer)."""

    names: list[str] = Field(min_length=1)
    measures: list[str] = Field(min_length=1)


class ProbeDefinition(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    dimension: str
    level: int = Field(ge=2, le=MAX_LEVEL)
    question: str
    evidence: list[str] = Field(min_length=1)
    remediation: Remediation
    scenario: ScenarioCheck | None = None
    attestable: bool = False
    """A person's attestation may answer it when no probe can see (capped at level 4)."""


class Rubric(_Strict):
    schema_version: int
    dimensions: list[Dimension]
    probes: list[ProbeDefinition]

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        ids = [d.id for d in self.dimensions]
        if tuple(ids) != DIMENSIONS:
            raise ValueError(f"dimensions must be {', '.join(DIMENSIONS)} in that order")
        seen: set[str] = set()
        for probe in self.probes:
            if probe.id in seen:
                raise ValueError(f"probe '{probe.id}' is defined twice")
            seen.add(probe.id)
            if probe.dimension not in DIMENSIONS:
                raise ValueError(f"probe '{probe.id}': unknown dimension '{probe.dimension}'")
            if probe.scenario is not None and probe.evidence != ["scenarios"]:
                raise ValueError(f"probe '{probe.id}': a scenario probe reads only 'scenarios'")
        return self

    def dimension(self, id: str) -> Dimension:
        return next(d for d in self.dimensions if d.id == id)

    def probe(self, id: str) -> ProbeDefinition:
        return next(p for p in self.probes if p.id == id)

    def probes_of(self, dimension: str) -> list[ProbeDefinition]:
        return [p for p in self.probes if p.dimension == dimension]


def load_rubric(path: Path = RUBRIC_FILE) -> Rubric:
    return load_document(path, Rubric, InvalidInput, "rubric")


@cache
def rubric() -> Rubric:
    """The shipped rubric, loaded once."""
    return load_rubric()
