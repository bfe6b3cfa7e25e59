"""Evaluators: findings -> a dimension's score, by the framework's cumulative gates.

A dimension scores the highest level L such that every applicable probe at levels 2..L
passes; level 1 needs nothing; a level with no applicable probe is not reached (no
evidence, no score). A score resting on an attested finding is capped at 4.
"""

from collections.abc import Sequence

from assessment.result import DimensionResult, Finding
from assessment.rubric import MAX_LEVEL, MIN_LEVEL, Dimension
from readiness.bundle import Outcome
from readiness.errors import Defect

ATTESTED_CAP = 4


def applicable(findings: Sequence[Finding], level: int) -> list[Finding]:
    return [f for f in findings if f.level == level and f.outcome is not Outcome.NOT_APPLICABLE]


def gated_level(findings: Sequence[Finding]) -> int:
    level = MIN_LEVEL
    for candidate in range(MIN_LEVEL + 1, MAX_LEVEL + 1):
        gate = applicable(findings, candidate)
        if not gate or any(f.outcome is not Outcome.PASS for f in gate):
            break
        level = candidate
    return level


def score_of(findings: Sequence[Finding]) -> tuple[int, bool]:
    """(score, capped by an attestation)."""
    level = gated_level(findings)
    attested = any(f.attested and f.level <= level for f in findings)
    if attested and level > ATTESTED_CAP:
        return ATTESTED_CAP, True
    return level, False


def evaluate(dimension: Dimension, findings: Sequence[Finding]) -> DimensionResult:
    expected = {f.dimension for f in findings}
    if expected - {dimension.id}:
        raise Defect(f"{dimension.id} was given findings of {', '.join(sorted(expected))}")
    score, capped = score_of(findings)
    passed = {
        level: [f.probe for f in applicable(findings, level)]
        for level in range(MIN_LEVEL + 1, score + 1)
    }
    blocking = [f.probe for f in applicable(findings, score + 1) if f.outcome is not Outcome.PASS]
    return DimensionResult(
        id=dimension.id,
        title=dimension.title,
        question=dimension.question,
        score=score,
        target=dimension.target,
        risk=dimension.risk,
        capped_by_attestation=capped,
        explanation=_explain(score, capped, findings, blocking),
        passed=passed,
        blocking=blocking,
        findings=list(findings),
    )


def _explain(score: int, capped: bool, findings: Sequence[Finding], blocking: list[str]) -> str:
    if capped:
        return (
            f"level {gated_level(findings)} is reached, but on attested evidence, which "
            f"caps the score at {ATTESTED_CAP}"
        )
    if score == MAX_LEVEL:
        return "every applicable probe passes, at every level"
    if not blocking:
        return f"level {score + 1} has no applicable probe with evidence"
    by_probe = {f.probe: f for f in findings}
    reasons = "; ".join(f"{p} {by_probe[p].outcome}: {by_probe[p].detail}" for p in blocking)
    return f"level {score + 1} is blocked by {reasons}"
