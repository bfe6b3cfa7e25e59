"""Facts: what the collectors saw, with where and when they saw it.

A collector's whole output is a list of facts. A fact that could not be collected is still
a fact, with `status` saying why (nothing declared, the endpoint did not answer): the probes
that need it report `not_available` with that reason, so unknown is never a pass and never a
zero. `facts.json` in the evidence bundle holds the facts collected live while the target
ran; the bundle's own facts (scenario results, digests) are read from it when assessing.
"""

import json
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from readiness.bundle import DERIVED
from readiness.errors import InvalidInput

FACTS_FILE = "facts.json"
DERIVED_FACTS_FILE = f"{DERIVED}facts.json"
"""The facts an assessment derived from its bundle: written after the seal, so outside it,
like `assessment.json` (the `DERIVED` prefix)."""
SCHEMA_VERSION = 1


class FactStatus(StrEnum):
    COLLECTED = "collected"
    UNAVAILABLE = "unavailable"
    """Nothing to collect: not declared, not reachable, not exported."""
    ERROR = "error"
    """The collector itself failed."""


class FactProvenance(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    collector: str
    source: str
    """The endpoint, store or file asked."""
    observed_at: float
    tool_version: str
    code_version: str
    deployment_digest: str


class Fact(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    status: FactStatus
    value: Any = None
    reason: str = ""
    attested: bool = False
    """A person's answer rather than an observation."""
    provenance: FactProvenance

    @property
    def id(self) -> str:
        return f"fact:{self.name}"

    @property
    def collected(self) -> bool:
        return self.status is FactStatus.COLLECTED


class FactsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_version: int = SCHEMA_VERSION
    descriptor_digest: str
    facts: list[Fact]


def write_facts(folder: Path, digest: str, facts: list[Fact], name: str = FACTS_FILE) -> Path:
    path = folder / name
    document = FactsFile(descriptor_digest=digest, facts=sorted(facts, key=lambda f: f.name))
    path.write_text(json.dumps(document.model_dump(mode="json"), indent=1, sort_keys=True))
    return path


def read_facts(folder: Path, name: str = FACTS_FILE) -> list[Fact]:
    """The live facts of a bundle; none when it has no `facts.json` (nothing was collected,
    so every probe that needs them is not_available). `name`: another facts file of the
    bundle (the assessment's `DERIVED_FACTS_FILE`)."""
    path = folder / name
    if not path.exists():
        return []
    try:
        return FactsFile.model_validate_json(path.read_text()).facts
    except (OSError, ValidationError) as problem:
        raise InvalidInput(
            f"evidence bundle {folder}: {name} is unreadable: {problem}"
        ) from problem
