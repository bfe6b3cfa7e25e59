"""The ingest endpoint against a real broker: an accepted request is on the stream, once,
whatever the client retries; bad bodies and keys are refused before anything is published."""

import asyncio
import json
from pathlib import Path

import nats
import pytest
from fastapi.testclient import TestClient

from reference.event_driven.ingest import IngestSettings, create_app
from reference.event_driven.messages import ApplicationEvent
from reference.event_driven.streams import EVENTS, ensure_streams
from reference.platform.audit.prediction_log import PredictionLog
from reference.platform.deploy.broker import Broker
from reference.platform.model.schema import load_schema
from reference.platform.serving.auth import Role, TenantKey, hash_key
from tests.examples import VALID_ROW

KEY = "rk_" + "a" * 32
PREDICT = "/v1/models/adult-income/predict"


async def _prepare(broker: Broker) -> None:
    client = await nats.connect(broker.url)
    await ensure_streams(client.jetstream())
    await client.close()


async def _events(broker: Broker) -> list[ApplicationEvent]:
    client = await nats.connect(broker.url)
    js = client.jetstream()
    info = await js.stream_info(EVENTS.name)
    found = []
    if info.state.messages:
        for sequence in range(info.state.first_seq, info.state.last_seq + 1):
            message = await js.get_msg(EVENTS.name, sequence)
            found.append(ApplicationEvent.model_validate_json(message.data or b""))
    await client.close()
    return found


def _client(broker: Broker, tmp_path: Path, keys: bool = False) -> TestClient:
    asyncio.run(_prepare(broker))
    tenants = [TenantKey(tenant="bank", key_hash=hash_key(KEY), roles=frozenset({Role.PREDICT}),
                         models=frozenset({"adult-income"}))] if keys else []  # fmt: skip
    settings = IngestSettings(broker_url=broker.url, model="adult-income", tenants=tenants,
                              audit_url=f"sqlite:///{tmp_path / 'audit.db'}")  # fmt: skip
    return TestClient(create_app(load_schema(), settings))


def test_an_accepted_request_is_one_event_per_instance_on_the_stream(
    broker: Broker, tmp_path: Path
) -> None:
    with _client(broker, tmp_path) as client:
        answer = client.post(PREDICT, json={"instances": [VALID_ROW, VALID_ROW]})
    assert answer.status_code == 202
    body = answer.json()
    assert body["events"] == [f"{body['request_id']}.0", f"{body['request_id']}.1"]
    events = asyncio.run(_events(broker))
    assert [(e.event_id, e.position) for e in events] == [
        (body["events"][0], 0),
        (body["events"][1], 1),
    ]
    assert events[0].features is not None
    assert events[0].features["age"] == 40


def test_a_retry_with_the_same_idempotency_key_publishes_nothing_twice(
    broker: Broker, tmp_path: Path
) -> None:
    with _client(broker, tmp_path) as client:
        for _ in range(3):
            answer = client.post(PREDICT, json={"instances": [VALID_ROW]},
                                 headers={"Idempotency-Key": "order-17"})  # fmt: skip
            assert answer.json()["events"] == ["order-17"]
    assert [e.event_id for e in asyncio.run(_events(broker))] == ["order-17"]


def test_an_invalid_body_is_refused_naming_the_field_and_nothing_is_published(
    broker: Broker, tmp_path: Path
) -> None:
    with _client(broker, tmp_path) as client:
        answer = client.post(PREDICT, json={"instances": [{**VALID_ROW, "age": "old"}]})
    assert answer.status_code == 422
    assert "age" in json.dumps(answer.json()["detail"])
    assert asyncio.run(_events(broker)) == []


@pytest.mark.parametrize(("headers", "path", "status"), [
    ({}, PREDICT, 401),
    ({"x-api-key": "rk_wrong"}, PREDICT, 401),
    ({"x-api-key": KEY}, "/v1/models/other-model/predict", 403),
])  # fmt: skip
def test_credentials_are_checked_before_anything_is_published(
    broker: Broker, tmp_path: Path, headers: dict[str, str], path: str, status: int
) -> None:
    with _client(broker, tmp_path, keys=True) as client:
        answer = client.post(path, json={"instances": [VALID_ROW]}, headers=headers)
    assert answer.status_code == status
    assert asyncio.run(_events(broker)) == []


def test_feedback_is_recorded_against_the_request_and_position(
    broker: Broker, tmp_path: Path
) -> None:
    with _client(broker, tmp_path) as client:
        answer = client.post("/v1/feedback", json={"labels": [
            {"request_id": "order-17", "position": 0, "label": 1}]})  # fmt: skip
    assert answer.json() == {"accepted": 1}
    assert PredictionLog(f"sqlite:///{tmp_path / 'audit.db'}").count("feedback") == 1


def test_the_metrics_endpoint_reports_each_stream_s_size(broker: Broker, tmp_path: Path) -> None:
    with _client(broker, tmp_path) as client:
        client.post(PREDICT, json={"instances": [VALID_ROW]})
        text = client.get("/metrics").text
    assert 'readiness_stream_messages{stream="EVENTS"} 1.0' in text
    assert 'readiness_stream_messages{stream="DEADLETTER"} 0.0' in text


def test_health_and_readiness_follow_the_broker(broker: Broker, tmp_path: Path) -> None:
    with _client(broker, tmp_path) as client:
        assert client.get("/healthz").json() == {"broker": "connected"}
        assert client.get("/readyz").json() == {"ready": True}


def test_admin_routes_need_the_admin_role(broker: Broker, tmp_path: Path) -> None:
    with _client(broker, tmp_path, keys=True) as client:
        answer = client.post("/v1/admin/models/adult-income/rollback", json={"reason": "x"},
                             headers={"x-api-key": KEY})  # fmt: skip
    assert answer.status_code == 403
    assert answer.json()["detail"] == "tenant 'bank' lacks the admin role"


def test_a_paused_batch_refuses_requests_of_many_instances_only(
    broker: Broker, tmp_path: Path
) -> None:
    with _client(broker, tmp_path) as client:
        client.put("/v1/admin/models/adult-income/batch", json={"paused": True, "reason": "dq"})
        many = client.post(PREDICT, json={"instances": [VALID_ROW, VALID_ROW]})
        one = client.post(PREDICT, json={"instances": [VALID_ROW]})
    assert many.status_code == 503
    assert many.headers["retry-after"] == "30"
    assert one.status_code == 202
