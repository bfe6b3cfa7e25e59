"""Assess an evidence bundle: facts -> probes -> evaluators -> roadmap.

Reads only the bundle (its live facts, its scenario evidence, its manifest), so the same
bundle always gives the same assessment, wherever and whenever it is assessed.
"""

import traceback
from pathlib import Path

from assessment.collectors.bundle import bundle_facts
from assessment.evaluate import evaluate
from assessment.evidence import FINDINGS
from assessment.facts import (
    DERIVED_FACTS_FILE,
    Fact,
    FactProvenance,
    FactStatus,
    read_facts,
    write_facts,
)
from assessment.probes import Evidence, Verdict
from assessment.registry import ProbeRegistry, RegisteredProbe, default_registry
from assessment.result import ASSESSMENT_FILE, Assessment, Finding, Subject
from assessment.roadmap import plan
from readiness import __version__
from readiness.bundle import Manifest, Outcome, read_manifest
from readiness.errors import UndeclaredEvidence

ATTESTATIONS = "attestations"


def derived_facts(bundle: Path, manifest: Manifest | None = None) -> list[Fact]:
    """The facts the assessment derives from the bundle itself (each scenario's outcome,
    figures from its samples, the seal), beside the live ones of `facts.json`."""
    return bundle_facts(bundle, manifest or read_manifest(bundle), read_facts(bundle))


def assess(
    bundle: Path, registry: ProbeRegistry | None = None, derived: list[Fact] | None = None
) -> Assessment:
    """`derived`: the bundle's derived facts when the caller has them already."""
    registry = registry or default_registry()
    manifest = read_manifest(bundle)
    read = read_facts(bundle)
    derived = bundle_facts(bundle, manifest, read) if derived is None else derived
    facts = {fact.name: fact for fact in read + derived}
    findings = run_probes(registry, facts)
    dimensions = [
        evaluate(d, [f for f in findings if f.dimension == d.id])
        for d in registry.rubric.dimensions
    ]
    return Assessment(
        tool_version=__version__,
        rubric_version=registry.rubric.schema_version,
        subject=subject_of(manifest),
        total=sum(d.score for d in dimensions),
        targets_total=sum(d.target for d in registry.rubric.dimensions),
        dimensions=dimensions,
        roadmap=plan(dimensions),
    )


def subject_of(manifest: Manifest) -> Subject:
    target = manifest.target
    return Subject(
        name=target.name if target else "unknown",
        architecture=target.architecture if target else "unknown",
        pattern=target.pattern if target else "unknown",
        profile=target.profile if target else "unknown",
        descriptor_digest=target.digest if target else "",
        descriptor_file=target.descriptor if target else "",
        run_id=manifest.run_id,
        run_started=manifest.started,
        run_status=manifest.status,
        code_version=manifest.code_version,
        scenarios=[s.name for s in manifest.scenarios],
    )


def run_probes(registry: ProbeRegistry, facts: dict[str, Fact]) -> list[Finding]:
    """Every probe, those about other probes' findings last; a probe that raises is an
    `error` finding and the others go on (Scorecard's `zrunner`)."""
    probes = registry.probes()
    first = [p for p in probes if FINDINGS not in p.definition.evidence]
    findings = {p.definition.id: run_probe(p, facts) for p in first}
    summary = Fact(
        name=FINDINGS,
        status=FactStatus.COLLECTED,
        value={id: str(f.outcome) for id, f in findings.items()},
        provenance=FactProvenance(
            collector="engine",
            source="findings",
            observed_at=0.0,
            tool_version=__version__,
            code_version="",
            deployment_digest="",
        ),
    )
    for probe in probes:
        if probe.definition.id not in findings:
            findings[probe.definition.id] = run_probe(probe, {**facts, FINDINGS: summary})
    attested = _attestations(facts.get(ATTESTATIONS))
    return [_attest(findings[p.definition.id], attested) for p in probes]


def run_probe(probe: RegisteredProbe, facts: dict[str, Fact]) -> Finding:
    definition = probe.definition
    evidence = Evidence(definition.id, tuple(definition.evidence), facts)
    try:
        verdict = probe.function(evidence)
    except UndeclaredEvidence:
        raise
    except Exception as error:  # a crashing probe is a finding, not a crash
        frame = traceback.extract_tb(error.__traceback__)[-1]
        verdict = Verdict(
            Outcome.ERROR,
            f"the probe raised {type(error).__name__}: {error} "
            f"({Path(frame.filename).name}:{frame.lineno})",
        )
    return Finding(
        probe=definition.id,
        dimension=definition.dimension,
        level=definition.level,
        question=definition.question,
        outcome=verdict.outcome,
        detail=verdict.detail,
        evidence=evidence.read + [e for e in verdict.evidence if e not in evidence.read],
        remediation=definition.remediation,
    )


def _attestations(fact: Fact | None) -> dict[str, dict[str, str]]:
    if fact is None or not fact.collected:
        return {}
    return {str(entry["probe"]): entry for entry in fact.value}


def _attest(finding: Finding, attested: dict[str, dict[str, str]]) -> Finding:
    """An attestation answers an attestable probe that no evidence could answer; it never
    overrides an observation."""
    entry = attested.get(finding.probe)
    if entry is None or finding.outcome is not Outcome.NOT_AVAILABLE:
        return finding
    outcome = Outcome.PASS if entry["answer"] else Outcome.FAIL
    detail = f"attested by {entry['by']} on {entry['at']}: {entry.get('detail', '')}".rstrip(": ")
    return finding.model_copy(
        update={
            "outcome": outcome,
            "attested": True,
            "detail": detail,
            "evidence": [*finding.evidence, f"fact:{ATTESTATIONS}"],
        }
    )


def write_assessment(assessment: Assessment, path: Path) -> Path:
    from assessment.exports import json_file

    path.write_text(json_file.render(assessment))
    return path


def assess_and_record(bundle: Path) -> Assessment:
    """Assess a sealed bundle and write the assessment into it, with the facts it derived
    (`DERIVED_FACTS_FILE`), so a reader of the bundle (a report, the app) shows every piece
    of evidence a finding cites without running a collector again."""
    manifest = read_manifest(bundle)
    derived = derived_facts(bundle, manifest)
    assessment = assess(bundle, derived=derived)
    write_facts(bundle, manifest.target.digest if manifest.target else "", derived,
                DERIVED_FACTS_FILE)  # fmt: skip
    write_assessment(assessment, bundle / ASSESSMENT_FILE)
    return assessment
