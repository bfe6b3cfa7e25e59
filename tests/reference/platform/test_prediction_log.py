"""The prediction log: answers, shadows, feedback and the deployment log, in SQLite."""

from pathlib import Path

import pytest

from reference.platform.prediction_log import Answer, PredictionLog

REQUEST = "0b7e2b8e-7d0c-4a39-9a52-6f0f1c7a1a01"


@pytest.fixture
def log(tmp_path: Path) -> PredictionLog:
    return PredictionLog(f"sqlite:///{tmp_path / 'audit.db'}")


def test_a_recorded_prediction_has_an_owner(log: PredictionLog) -> None:
    log.record(REQUEST, "acme", "m", [Answer(0, "1", 0.7, 1), Answer(1, "1", 0.2, 0)])
    assert log.owners([REQUEST, "other"]) == {(REQUEST, 0): "acme", (REQUEST, 1): "acme"}


def test_shadow_answers_are_compared_with_what_was_served(log: PredictionLog) -> None:
    log.record(REQUEST, "acme", "m", [Answer(0, "1", 0.7, 1)])
    log.record_shadow(REQUEST, "m", "2", [0.4])
    (comparison,) = log.shadow_comparisons("m")
    assert (comparison.served_version, comparison.shadow_version) == ("1", "2")
    assert (comparison.served_probability, comparison.shadow_probability) == (0.7, 0.4)


def test_a_later_label_replaces_an_earlier_one(log: PredictionLog) -> None:
    log.record_feedback([(REQUEST, 0, 1)])
    log.record_feedback([(REQUEST, 0, 0)])
    assert log.count("feedback") == 1


def test_the_deployment_log_lists_the_newest_change_first(log: PredictionLog) -> None:
    log.log_deployment("ops", "m", "promote", "1", "2", "better")
    log.log_deployment("ops", "m", "rollback", "2", "1", "worse")
    assert [e.action for e in log.deployments("m")] == ["rollback", "promote"]
    assert log.deployments("other") == []
