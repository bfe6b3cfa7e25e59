"""Facts as a collector would stamp them, for probe tables: a probe reads only what its
Evidence holds, so a table of cases is a table of fact values."""

import time
from typing import Any

from assessment.facts import Fact, FactProvenance, FactStatus
from assessment.probes import Evidence


def stamp(collector: str = "live") -> FactProvenance:
    return FactProvenance(
        collector=collector, source="test", observed_at=time.time(), tool_version="test",
        code_version="test", deployment_digest="d",
    )  # fmt: skip


def collected(name: str, value: Any, collector: str = "live") -> Fact:
    return Fact(name=name, status=FactStatus.COLLECTED, value=value, provenance=stamp(collector))


def evidence_of(probe: str, declared: tuple[str, ...], *facts: Fact) -> Evidence:
    """The Evidence `probe` sees: it may read `declared`, of which `facts` were collected."""
    return Evidence(probe, declared, {fact.name: fact for fact in facts})
