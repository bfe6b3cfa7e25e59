"""Proof that the scorer discriminates: the production microservice, assessed live, then
deployed again with one production feature switched off. The dimension the feature serves
must drop, and no other may move. (Every feature, with the scenarios that concern it, is
in `benchmarks/mutation.py`; here six whose effect live collection shows, at about 40 s
a deployment.)

The baseline and every mutant are collected the same way (`readiness run --no-scenarios`):
what differs is only the feature."""

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from assessment.result import Assessment
from harness.deploy import MONITOR_CONFIG
from readiness.cli import app
from readiness.home import Home
from reference.microservice.deployment import up
from reference.microservice.supervision import down
from reference.platform.deploy.profile import Profile
from tests.champions import crown_champion

runner = CliRunner()

DROPS = {
    "auth": {"security", "compliance"},
    "rate-limit": {"security"},
    "validation": {"security", "compliance"},
    "cache": {"cost"},
    "batching": {"cost"},
    "audit": {"governance", "compliance"},
}
"""Feature switched off -> the dimensions that must drop. Compliance drops with a feature
when the reference's control mapping names the feature's probes as a control."""


QUIET_WINDOWS = {"rows": 20_000, "seconds": 30, "min_rows": 20_000}
"""Monitor windows no collection fills: drift is never judged during one. The shipped ones
(1,000 rows, PSI from 500) were filled by the mutant without a rate limit, whose burst of
50 batches was all admitted (6,691 rows, a window judged, drift per feature exported:
observability up a level) in some runs and not in others, as the monitor's poll met the
scrape; the baseline admits 4 of the batches and judged no window."""


def monitor_config(home: Home) -> Path:
    """The shipped monitor settings with QUIET_WINDOWS."""
    settings = yaml.safe_load(MONITOR_CONFIG.read_text())
    path = home.root / "mutations-monitor.yaml"
    path.write_text(yaml.safe_dump({**settings, "window": QUIET_WINDOWS}))
    return path


@contextmanager
def running(home: Home, profile: Profile, *without: str) -> Iterator[Path]:
    descriptor = up(
        home,
        profile,
        monitor_config=monitor_config(home) if profile is Profile.PRODUCTION else None,
        without=frozenset(without),
    )
    try:
        yield descriptor
    finally:
        down(home)


def assessed(
    home: Home, folder: Path, profile: Profile = Profile.PRODUCTION, *without: str
) -> Assessment:
    with running(home, profile, *without) as descriptor:
        result = runner.invoke(
            app, ["run", str(descriptor), "--no-scenarios", "--out", str(folder)]
        )
    assert result.exit_code == 0, result.output
    return Assessment.model_validate_json((folder / "assessment.json").read_text())


@pytest.fixture(scope="module")
def home(champion_home: Home, tmp_path_factory: pytest.TempPathFactory) -> Home:
    """The champion's home with a history: a second approved version promoted, so the
    replaced champion is there to roll back to, as in any system that has shipped twice."""
    copy = Home(tmp_path_factory.mktemp("mutations") / "home")
    shutil.copytree(champion_home.root, copy.root)
    crown_champion(copy)
    return copy


@pytest.fixture(scope="module")
def baseline(home: Home, tmp_path_factory: pytest.TempPathFactory) -> Assessment:
    return assessed(home, tmp_path_factory.mktemp("baseline") / "bundle")


def scores(assessment: Assessment) -> dict[str, int]:
    return {d.id: d.score for d in assessment.dimensions}


def test_the_production_profile_reaches_level_four_where_no_scenario_is_needed(
    baseline: Assessment,
) -> None:
    found = scores(baseline)
    assert {d: found[d] for d in ("mlops", "security", "reliability")} == {
        "mlops": 4,
        "security": 4,
        "reliability": 4,
    }
    assert found["cost"] >= 3
    assert found["team"] == 3


def test_the_prototype_scores_no_more_than_twenty(
    home: Home, tmp_path_factory: pytest.TempPathFactory
) -> None:
    prototype = assessed(home, tmp_path_factory.mktemp("prototype") / "bundle", Profile.PROTOTYPE)
    assert prototype.total <= 20
    assert scores(prototype)["security"] == 1


@pytest.mark.parametrize("feature", list(DROPS))
def test_switching_one_feature_off_drops_only_the_dimensions_it_serves(
    feature: str,
    baseline: Assessment,
    home: Home,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    mutant = assessed(
        home, tmp_path_factory.mktemp(feature) / "bundle", Profile.PRODUCTION, feature
    )
    before, after = scores(baseline), scores(mutant)
    moved = {d: (before[d], after[d]) for d in before if after[d] != before[d]}
    assert {d for d, (b, a) in moved.items() if a < b} == DROPS[feature], moved
    assert not [d for d, (b, a) in moved.items() if a > b], moved
