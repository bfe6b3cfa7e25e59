"""Each stage's own work, without the broker: enrichment validates against the schema, the
sink and the action service are idempotent (a redelivered result changes nothing)."""

import asyncio
from pathlib import Path

from reference.event_driven.action import Act, ActionStore
from reference.event_driven.enrich import Enrich
from reference.event_driven.messages import ApplicationEvent, EnrichedEvent, InferenceResult
from reference.event_driven.sink import Sink
from reference.event_driven.stage import Rejected
from reference.platform.audit.prediction_log import PredictionLog
from reference.platform.model.schema import load_schema
from tests.examples import VALID_ROW


def _result(event_id: str, decision: int = 1) -> InferenceResult:
    return InferenceResult(
        event_id=event_id, event_time=100.0, features=VALID_ROW, model="adult-income",
        version="3", probability=0.9 if decision else 0.1, decision=decision, inferred_at=100.05,
    )  # fmt: skip


def test_an_event_with_valid_features_is_enriched_as_it_came() -> None:
    stage = Enrich(load_schema(), feature_repo=None)
    event = ApplicationEvent(event_id="e1", event_time=1.0, features=VALID_ROW)
    [answer] = asyncio.run(stage.process([event]))
    assert isinstance(answer, EnrichedEvent)
    assert answer.source == "event"
    assert answer.features["age"] == 40


def test_an_event_whose_features_break_the_schema_is_rejected_naming_the_field() -> None:
    stage = Enrich(load_schema(), feature_repo=None)
    event = ApplicationEvent(event_id="e1", event_time=1.0, features={**VALID_ROW, "age": "old"})
    [answer] = asyncio.run(stage.process([event]))
    assert answer == Rejected("invalid features: age: Input should be a valid number")


def test_an_applicant_id_without_a_feature_store_is_rejected() -> None:
    stage = Enrich(load_schema(), feature_repo=None)
    event = ApplicationEvent(event_id="e1", event_time=1.0, applicant_id="A0000001")
    [answer] = asyncio.run(stage.process([event]))
    assert answer == Rejected("no feature store to look the applicant up in")


def test_the_sink_logs_a_redelivered_result_once(tmp_path: Path) -> None:
    log = PredictionLog(f"sqlite:///{tmp_path / 'audit.db'}")
    sink = Sink(log)
    asyncio.run(sink.process([_result("e1"), _result("e2")]))
    asyncio.run(sink.process([_result("e2"), _result("e3")]))
    assert log.count("predictions") == 3
    assert sink.written == 3


def test_the_action_service_acts_once_per_event_and_repeats_the_same_action(tmp_path: Path) -> None:
    latencies: list[float] = []
    act = Act(ActionStore(tmp_path / "actions.db"), latencies.append)
    first = asyncio.run(act.process([_result("e1", decision=0), _result("e2", decision=1)]))
    again = asyncio.run(act.process([_result("e1", decision=0)]))
    assert [a.action for a in first if a is not None and not isinstance(a, Rejected)] == [
        "manual-review",
        "approve",
    ]
    assert again == first[:1]  # the same action, with the time it was first taken
    assert act.store.count() == 2
    assert len(latencies) == 2  # each action's latency observed once
