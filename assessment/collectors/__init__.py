"""Collectors: the only part of the assessment that does I/O. Each asks one kind of source
(the descriptor and the files it names, the OpenAPI document, the metrics endpoints, the
live endpoints, the registry, the feature store, the audit store, the logs, the evidence
bundle) and returns facts with provenance. A source that is not declared or does not
answer gives an unavailable fact with the reason, never an exception.
"""

import time
from dataclasses import dataclass
from typing import Any

from assessment.facts import Fact, FactProvenance, FactStatus
from readiness import __version__
from readiness.provenance import code_version


@dataclass(frozen=True)
class Provenances:
    """Stamps facts with what collected them, against which deployment."""

    collector: str
    deployment_digest: str
    code: str = ""
    observed_at: float | None = None
    """A fixed time of observation (facts read from a bundle are as old as its run); None:
    now, at each fact."""

    def fact(self, name: str, source: str, value: Any, attested: bool = False) -> Fact:
        return Fact(
            name=name,
            status=FactStatus.COLLECTED,
            value=value,
            attested=attested,
            provenance=self._stamp(source),
        )

    def unavailable(self, name: str, source: str, reason: str) -> Fact:
        return Fact(
            name=name, status=FactStatus.UNAVAILABLE, reason=reason, provenance=self._stamp(source)
        )

    def error(self, name: str, source: str, problem: BaseException | str) -> Fact:
        reason = problem if isinstance(problem, str) else f"{type(problem).__name__}: {problem}"
        return Fact(
            name=name, status=FactStatus.ERROR, reason=reason[:500], provenance=self._stamp(source)
        )

    def _stamp(self, source: str) -> FactProvenance:
        return FactProvenance(
            collector=self.collector,
            source=source,
            observed_at=self.observed_at if self.observed_at is not None else round(time.time(), 3),
            tool_version=__version__,
            code_version=self.code or code_version(),
            deployment_digest=self.deployment_digest,
        )
