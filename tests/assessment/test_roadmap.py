"""The roadmap: what to fix first, when, and what each fix would raise."""

import itertools
from pathlib import Path

from assessment.engine import assess
from assessment.result import Assessment
from tests.assessment.bundles import DESCRIPTOR, mature_facts, mature_scenarios, write_bundle


def gapped(tmp_path: Path) -> Assessment:
    """No access-control checks, no service metrics, no owners: gaps in six dimensions of
    different risks."""
    facts = mature_facts(
        access_control=None,
        service_metrics=None,
        descriptor={**DESCRIPTOR, "team": {"owners": []}},
    )
    return assess(write_bundle(tmp_path, facts, mature_scenarios()))


def test_only_dimensions_below_target_are_on_the_roadmap(tmp_path: Path) -> None:
    assessment = gapped(tmp_path)
    below = {d.id for d in assessment.dimensions if d.score < d.target}
    assert {step.dimension for step in assessment.roadmap} == below


def test_steps_are_ordered_by_gap_times_risk_over_effort_lower_levels_first(
    tmp_path: Path,
) -> None:
    roadmap = gapped(tmp_path).roadmap
    priorities = [step.priority for step in roadmap]
    assert priorities == sorted(priorities, reverse=True)
    for dimension in {step.dimension for step in roadmap}:
        same = [(s.priority, s.level) for s in roadmap if s.dimension == dimension]
        for (p1, l1), (p2, l2) in itertools.pairwise(same):
            assert p1 > p2 or l1 <= l2


def test_each_step_says_what_the_total_would_be_with_it_and_those_before(
    tmp_path: Path,
) -> None:
    assessment = gapped(tmp_path)
    totals = [step.total_after for step in assessment.roadmap]
    assert totals == sorted(totals)
    assert totals[-1] >= sum(
        min(d.target, 5) if d.score < d.target else d.score for d in assessment.dimensions
    )


def test_steps_fall_into_30_60_90_day_buckets_by_cumulative_effort(tmp_path: Path) -> None:
    days = [step.days for step in gapped(tmp_path).roadmap]
    assert days == sorted(days)
    assert set(days) == {30, 60, 90}
