"""The prediction log: answers, shadows, feedback and the deployment log, in SQLite."""

from pathlib import Path

import pytest

from reference.platform.audit.pii import PiiRedactor, load_pii_policy
from reference.platform.audit.prediction_log import Answer, PredictionLog
from reference.platform.model.schema import load_schema
from tests.examples import VALID_ROW

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


def test_a_later_label_supersedes_an_earlier_one_which_stays_as_evidence(
    log: PredictionLog,
) -> None:
    log.record(REQUEST, "acme", "m", [Answer(0, "1", 0.7, 1)])
    log.record_feedback([(REQUEST, 0, 1)])
    log.record_feedback([(REQUEST, 0, 0)])
    assert [(x.feedback_seq, x.truth) for x in log.labelled_since(0, 10)] == [(1, 1), (2, 0)]
    assert log.count("feedback") == 2


def test_a_label_is_read_once_settled_so_one_that_came_before_its_prediction_is_not_lost(
    log: PredictionLog,
) -> None:
    log.record_feedback([(REQUEST, 0, 1)])  # a stream's label, before the prediction is logged
    assert log.labelled_since(0, 10, settled_s=60) == []  # not passed over: not read yet
    log.record(REQUEST, "acme", "m", [Answer(0, "1", 0.7, 1)])
    assert log.labelled_since(0, 10, settled_s=60) == []
    assert [x.truth for x in log.labelled_since(0, 10, settled_s=0)] == [1]
    assert log.last_feedback_seq() == 1


def test_the_deployment_log_lists_the_newest_change_first(log: PredictionLog) -> None:
    log.log_deployment("ops", "m", "promote", "1", "2", "better")
    log.log_deployment("ops", "m", "rollback", "2", "1", "worse")
    assert [e.action for e in log.deployments("m")] == ["rollback", "promote"]
    assert log.deployments("other") == []


def test_predictions_are_read_after_a_cursor_in_the_order_they_committed(
    log: PredictionLog,
) -> None:
    for index in range(3):
        log.record(f"{REQUEST[:-1]}{index}", "acme", "m", [Answer(0, "1", index / 4, 0)])
    page = log.predictions_since(1, 10)
    assert [(r.seq, r.probability) for r in page] == [(2, 0.25), (3, 0.5)]
    assert log.predictions_since(3, 10) == []
    assert [r.seq for r in log.predictions_since(0, 2)] == [1, 2]


def test_a_prediction_is_logged_with_its_features_after_the_pii_policy_and_its_latency(
    tmp_path: Path,
) -> None:
    redactor = PiiRedactor(load_pii_policy(), load_schema(), b"k" * 32)
    log = PredictionLog(f"sqlite:///{tmp_path / 'audit.db'}", redactor)
    row = {**VALID_ROW, "contact_email": "ana@example.invalid", "sex": "Female"}
    log.record(REQUEST, "acme", "m", [Answer(0, "1", 0.7, 1)], [row], latency_ms=4.5)
    (logged,) = log.predictions_since(0, 10)
    hashed = redactor.keyed_hash("ana@example.invalid")
    assert logged.features == {**VALID_ROW, "sex": "Female", "contact_email": hashed}
    assert (logged.latency_ms, logged.tenant, logged.version) == (4.5, "acme", "1")
    log.close()


def test_labels_are_read_joined_with_their_predictions_after_a_cursor(log: PredictionLog) -> None:
    log.record(REQUEST, "acme", "m", [Answer(0, "1", 0.7, 1), Answer(1, "1", 0.2, 0)])
    log.record_feedback([(REQUEST, 1, 1), (REQUEST, 0, 1)])
    labelled = log.labelled_since(0, 10)
    assert [(x.feedback_seq, x.truth, x.prediction.position, x.prediction.label)
            for x in labelled] == [(1, 1, 1, 0), (2, 1, 0, 1)]  # fmt: skip
    assert [x.feedback_seq for x in log.labelled_since(1, 10)] == [2]
