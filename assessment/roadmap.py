"""The remediation roadmap: what to fix first, and what each fix would raise.

Candidates are the failing or unknown probes of every dimension below its target, at the
levels between its score and its target. They are ordered by gap to target x dimension
risk / effort (within a dimension, lower levels first: the gates are cumulative), bucketed
into 30/60/90 days by cumulative effort, and each step carries a what-if: the scores
re-evaluated with that probe, and every step before it, passing.
"""

from collections.abc import Sequence

from assessment.evaluate import score_of
from assessment.result import DimensionResult, Finding, RoadmapStep
from assessment.rubric import DIMENSIONS, Effort
from readiness.bundle import Outcome

PERSON_WEEKS = {Effort.S: 0.5, Effort.M: 2.0, Effort.L: 6.0}
BUCKETS = ((4.0, 30), (8.0, 60))
"""Cumulative person-weeks that fit in 30 and 60 days; the rest is the 90-day bucket."""


def plan(dimensions: Sequence[DimensionResult]) -> list[RoadmapStep]:
    candidates: list[tuple[float, Finding]] = []
    for dimension in dimensions:
        if dimension.score >= dimension.target:
            continue
        for finding in dimension.findings:
            if dimension.score < finding.level <= dimension.target and finding.outcome not in (
                Outcome.PASS,
                Outcome.NOT_APPLICABLE,
            ):
                weight = finding.remediation.effort.weight
                candidates.append((dimension.gap * dimension.risk / weight, finding))
    candidates.sort(key=lambda c: (-c[0], DIMENSIONS.index(c[1].dimension), c[1].level, c[1].probe))
    fixed: set[str] = set()
    effort = 0.0
    steps = []
    for order, (priority, finding) in enumerate(candidates, start=1):
        fixed.add(finding.probe)
        effort += PERSON_WEEKS[finding.remediation.effort]
        scores = {d.id: _score_with(d, fixed) for d in dimensions}
        steps.append(
            RoadmapStep(
                order=order,
                days=next((days for limit, days in BUCKETS if effort <= limit), 90),
                probe=finding.probe,
                dimension=finding.dimension,
                level=finding.level,
                outcome=finding.outcome,
                text=finding.remediation.text,
                effort=finding.remediation.effort.value,
                reference=finding.remediation.reference,
                priority=round(priority, 3),
                dimension_score_after=scores[finding.dimension],
                total_after=sum(scores.values()),
            )
        )
    return steps


def _score_with(dimension: DimensionResult, fixed: set[str]) -> int:
    findings = [
        f.model_copy(update={"outcome": Outcome.PASS, "attested": False}) if f.probe in fixed else f
        for f in dimension.findings
    ]
    return score_of(findings)[0]
