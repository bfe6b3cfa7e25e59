"""The rubric is the one source of the dimensions, the probes and their documentation."""

from pathlib import Path

import pytest

from assessment.docs import DOCS_FILE, render
from assessment.rubric import DIMENSIONS, load_rubric, rubric
from readiness.errors import InvalidInput

REPOSITORY = Path(__file__).parents[2]
WHITEPAPER_TARGETS = {
    "architecture": 4,
    "mlops": 4,
    "observability": 5,
    "governance": 4,
    "security": 5,
    "scalability": 4,
    "reliability": 4,
    "cost": 3,
    "team": 3,
    "compliance": 4,
}


def test_the_rubric_has_the_whitepapers_ten_dimensions_and_targets() -> None:
    found = rubric()
    assert {d.id: d.target for d in found.dimensions} == WHITEPAPER_TARGETS
    assert sum(d.target for d in found.dimensions) == 40


def test_every_dimension_has_probes_at_levels_two_to_four() -> None:
    for dimension in DIMENSIONS:
        levels = {p.level for p in rubric().probes_of(dimension)}
        assert {2, 3, 4} <= levels, dimension


def test_every_remediation_points_at_a_place_in_this_repository() -> None:
    missing = [
        p.remediation.reference
        for p in rubric().probes
        if not (REPOSITORY / p.remediation.reference).exists()
    ]
    assert missing == []


def test_the_probe_documentation_is_generated_from_the_rubric() -> None:
    assert DOCS_FILE.read_text() == render(rubric()), "run: python -m assessment.docs"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda t: t.replace("id: health_answers", "id: declares_pattern_and_slos"),
            "probe 'declares_pattern_and_slos' is defined twice",
        ),
        (
            lambda t: t.replace("dimension: team\n", "dimension: teams\n", 1),
            "unknown dimension 'teams'",
        ),
        (
            lambda t: t.replace("  - id: mlops\n", "  - id: ops\n"),
            "dimensions must be architecture, mlops",
        ),
    ],
    ids=["duplicate probe", "unknown dimension", "renamed dimension"],
)
def test_a_broken_rubric_is_refused_with_the_reason(edit, message, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    broken = tmp_path / "rubric.yaml"
    broken.write_text(edit((REPOSITORY / "assessment" / "rubric.yaml").read_text()))
    with pytest.raises(InvalidInput, match=message):
        load_rubric(broken)
