"""Evidence behind a finding: what was measured, where, when, and by what.

A finding names its evidence by id: `fact:NAME` for what the collectors saw live
(`facts.json`) or the assessment derived from the bundle itself (scenario results, figures,
digests: `assessment.facts.json`, written beside `assessment.json`), `SCENARIO/...` for what
a scenario measured (`evidence.jsonl`). This index answers both the same way, so a page or
a report shows a finding's evidence without knowing which kind it is.
"""

import json
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assessment.evidence import FINDINGS
from assessment.facts import DERIVED_FACTS_FILE, Fact, read_facts
from assessment.result import ASSESSMENT_FILE, Assessment
from readiness.bundle import DIGESTS_FILE, Evidence, check_seal
from readiness.errors import InvalidInput

EVIDENCE_FILE = "evidence.jsonl"
VALUE_CHARACTERS = 400
"""A value longer than this (a whole OpenAPI document, a list of rows) is cut in the view."""


@dataclass(frozen=True)
class EvidenceView:
    id: str
    what: str
    value: str
    status: str
    """pass/fail/... for scenario evidence, collected/unavailable/error for a fact."""
    detail: str
    where: str
    when: str
    by: str
    """The collector, or the scenario and step, with tool and code versions."""
    raw: Any = None
    """The value as collected, for pages that draw it rather than print it."""


def when(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _shown(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= VALUE_CHARACTERS else text[:VALUE_CHARACTERS] + " ..."


def _of_fact(fact: Fact) -> EvidenceView:
    source = fact.provenance
    return EvidenceView(
        id=fact.id, what=fact.name, value=_shown(fact.value), status=str(fact.status),
        raw=fact.value,
        detail=fact.reason + (" (attested by a person, not observed)" if fact.attested else ""),
        where=source.source, when=when(source.observed_at),
        by=f"collector {source.collector}, readiness {source.tool_version}, "
        f"code {source.code_version[:12]}",
    )  # fmt: skip


def _of_record(record: Evidence) -> EvidenceView:
    source = record.provenance
    unit = f" {record.unit}" if record.unit and record.value is not None else ""
    measured = f"{_shown(record.value)}{unit}"
    if record.tolerance:
        measured += f" (tolerance {record.tolerance})"
    step = f", step '{source.step}'" if source.step else ""
    return EvidenceView(
        id=record.id, what=record.name, value=measured, status=str(record.outcome),
        raw=record.value,
        detail=record.detail, where=source.source, when=when(source.observed_at),
        by=f"scenario {source.scenario}{step}, readiness {source.tool_version}, "
        f"code {source.code_version[:12]}",
    )  # fmt: skip


def _of_findings(assessment: Assessment) -> EvidenceView:
    """The one piece of evidence that is not in the bundle: probes that judge other probes
    (a control mapping, say) read the other findings of the same assessment."""
    counted = Counter(str(f.outcome) for f in assessment.findings())
    return EvidenceView(
        id=f"fact:{FINDINGS}", what="the other probes' findings in this assessment",
        value=", ".join(f"{n} {outcome}" for outcome, n in sorted(counted.items())),
        status="collected", detail="", where=ASSESSMENT_FILE,
        when=when(assessment.subject.run_started),
        by=f"the assessment engine, readiness {assessment.tool_version}",
    )  # fmt: skip


def read_evidence(bundle: Path) -> list[Evidence]:
    """The scenario evidence of a bundle (none when it has no `evidence.jsonl`)."""
    path = bundle / EVIDENCE_FILE
    if not path.is_file():
        return []
    return [Evidence.model_validate_json(line) for line in path.read_text().splitlines()
            if line.strip()]  # fmt: skip


class EvidenceIndex:
    def __init__(self, views: dict[str, EvidenceView]) -> None:
        self._views = views

    @classmethod
    def of(cls, bundle: Path, assessment: Assessment) -> "EvidenceIndex":
        facts = read_facts(bundle) + read_facts(bundle, DERIVED_FACTS_FILE)
        views = {fact.id: _of_fact(fact) for fact in facts}
        views[f"fact:{FINDINGS}"] = _of_findings(assessment)
        views |= {record.id: _of_record(record) for record in read_evidence(bundle)}
        return cls(views)

    def get(self, evidence_id: str) -> EvidenceView | None:
        """The evidence, or None when the bundle holds no such record (a bundle edited
        after it was assessed, or an assessment of another bundle)."""
        return self._views.get(evidence_id)

    def __len__(self) -> int:
        return len(self._views)


def served_line(index: EvidenceIndex) -> str:
    """What the target served when it was assessed (its `*_model_info` metric)."""
    view = index.get("fact:model_info")
    if view is None or not isinstance(view.raw, list) or not view.raw:
        return "Served model: not exported by the target."
    served = [
        f"{m.get('model', '?')} version {m.get('version', '?')} "
        f"(sha256 {str(m.get('sha256', ''))[:12]})"
        for m in view.raw if isinstance(m, dict)
    ]  # fmt: skip
    return f"Served model: {', '.join(served)}."


def seal_line(bundle: Path) -> str:
    """Whether the bundle's evidence is, now, as it was sealed at the end of the run."""
    try:
        seal = check_seal(bundle)
    except InvalidInput as problem:
        return f"Evidence seal unreadable: {problem}."
    if seal is None:
        return f"Evidence seal: the bundle has no {DIGESTS_FILE}."
    if seal.broken:
        return f"Evidence seal BROKEN: {'; '.join(seal.problems)}."
    return f"Evidence seal: {seal.files} files, unchanged since the run."
