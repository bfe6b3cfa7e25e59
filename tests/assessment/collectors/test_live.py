"""The live collector's low-load measure against the test double: warm-up predictions are
sent and said, but only the measured ones are timed, and a failing warm-up hides nothing."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assessment.collectors import Provenances
from assessment.collectors.live import LOW_LOAD_REQUESTS, LOW_LOAD_WARMUP, collect_live
from harness.target import Target
from tests.harness.double import DoubleState, double_descriptor, running_double


@pytest.fixture
def double(tmp_path: Path) -> Iterator[tuple[Target, DoubleState]]:
    with running_double() as (base, state):
        yield Target.from_file(double_descriptor(base, tmp_path)), state


def low_load(target: Target) -> dict[str, Any]:
    facts = {f.name: f for f in collect_live(target, Provenances("live", target.digest))}
    value: dict[str, Any] = facts["low_load"].value
    return value


def test_low_load_times_only_the_predictions_after_the_warm_up(
    double: tuple[Target, DoubleState],
) -> None:
    target, state = double
    measured = low_load(target)
    assert measured["warmup_statuses"] == {"200": LOW_LOAD_WARMUP}
    assert measured["answered"] == measured["requests"] == LOW_LOAD_REQUESTS
    assert len(measured["request_ids"]) == LOW_LOAD_REQUESTS
    assert state.predictions >= LOW_LOAD_WARMUP + LOW_LOAD_REQUESTS


def test_a_failing_warm_up_is_said_and_the_measured_predictions_still_count(
    double: tuple[Target, DoubleState],
) -> None:
    target, state = double
    state.broken = True
    measured = low_load(target)
    assert measured["warmup_statuses"] == {"500": LOW_LOAD_WARMUP}
    assert measured["answered"] == 0
    assert measured["statuses"] == {"500": LOW_LOAD_REQUESTS}
