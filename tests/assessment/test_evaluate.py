"""Levels are cumulative gates; unknown blocks; attested evidence caps at 4."""

import pytest

from assessment.evaluate import evaluate
from assessment.result import Finding
from assessment.rubric import Effort, Remediation, rubric
from readiness.bundle import Outcome
from readiness.errors import Defect

P, F, NA, NAP = Outcome.PASS, Outcome.FAIL, Outcome.NOT_AVAILABLE, Outcome.NOT_APPLICABLE
FIX = Remediation(text="fix it", effort=Effort.S, reference="README.md")


def finding(level: int, outcome: Outcome, name: str = "", attested: bool = False) -> Finding:
    return Finding(
        probe=name or f"p{level}_{outcome}",
        dimension="security",
        level=level,
        question="?",
        outcome=outcome,
        detail=f"{outcome} at {level}",
        evidence=[],
        attested=attested,
        remediation=FIX,
    )


@pytest.mark.parametrize(
    ("outcomes", "score"),
    [
        ([], 1),
        ([(2, P)], 2),
        ([(2, P), (3, P), (4, P), (5, P)], 5),
        ([(2, P), (3, F), (4, P), (5, P)], 2),
        ([(2, P), (3, NA), (4, P)], 2),
        ([(2, P), (3, P), (3, NAP), (4, P)], 4),
        ([(2, P), (3, NAP), (4, P)], 2),
        ([(2, F), (3, P)], 1),
        ([(2, P), (3, P), (4, Outcome.ERROR)], 3),
    ],
    ids=[
        "no probe: level 1 needs nothing",
        "a passing level-2 probe gives 2",
        "every level passing gives 5",
        "a failure at 3 stops at 2 whatever passes above",
        "unknown at 3 blocks like a failure",
        "a not-applicable probe is skipped",
        "a level whose only probe does not apply is not reached",
        "a failing level 2 leaves 1",
        "an erroring probe blocks its level",
    ],
)
def test_a_dimension_scores_the_highest_level_whose_gates_all_pass(
    outcomes: list[tuple[int, Outcome]], score: int
) -> None:
    findings = [finding(level, outcome, f"p{i}") for i, (level, outcome) in enumerate(outcomes)]
    assert evaluate(rubric().dimension("security"), findings).score == score


def test_attested_evidence_caps_the_score_at_four() -> None:
    findings = [finding(2, P), finding(3, P, attested=True), finding(4, P), finding(5, P)]
    result = evaluate(rubric().dimension("security"), findings)
    assert (result.score, result.capped_by_attestation) == (4, True)
    assert "attested" in result.explanation


def test_the_explanation_names_the_probes_that_block_the_next_level() -> None:
    findings = [finding(2, P, "a"), finding(3, F, "b"), finding(3, NA, "c"), finding(3, P, "d")]
    result = evaluate(rubric().dimension("security"), findings)
    assert result.blocking == ["b", "c"]
    assert result.passed == {2: ["a"]}
    assert "level 3 is blocked by b fail: fail at 3; c not_available" in result.explanation


def test_an_evaluator_refuses_another_dimensions_findings() -> None:
    with pytest.raises(Defect, match="was given findings of security"):
        evaluate(rubric().dimension("cost"), [finding(2, P)])
