"""`readiness up/down microservice` as a user runs them, against the session's trained home.

The session's model was refused by the whitepaper fairness policy, so it has no champion:
production is asked to serve the `challenger` alias, which is what the check is about.
"""

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from readiness.descriptor import TargetDescriptor
from readiness.home import Home
from reference.platform.model.lifecycle import TrainingSummary
from tests.examples import VALID_ROW
from tests.reference.microservice.running import credentials, deployment, readiness

ROW = VALID_ROW


@pytest.fixture(scope="module")
def production(trained: tuple[Home, TrainingSummary]) -> Iterator[TargetDescriptor]:
    with deployment(trained[0], "production", "challenger") as descriptor:
        yield descriptor


def test_the_prototype_answers_anyone_and_stops(trained: tuple[Home, TrainingSummary]) -> None:
    with deployment(trained[0], "prototype", "champion") as prototype:
        predict = prototype.endpoints.predict.format(model="adult-income")
        answer = httpx.post(predict, json={"instances": [ROW]}, timeout=10)
        assert answer.status_code == 200
        assert answer.json()["predictions"][0]["version"] == "file"
        assert prototype.endpoints.metrics is None
        assert prototype.registry is None
    with pytest.raises(httpx.ConnectError):
        httpx.get(prototype.endpoints.health, timeout=2)


def test_production_serves_the_registry_version_behind_auth_with_online_features(
    production: TargetDescriptor, trained: tuple[Home, TrainingSummary]
) -> None:
    _, summary = trained
    predict = production.endpoints.predict.format(model="adult-income")
    assert httpx.post(predict, json={"instances": [ROW]}, timeout=10).status_code == 401
    body = {"instances": [ROW, {"applicant_id": "A0000002", "hours_per_week": 60}]}
    answer = httpx.post(predict, json=body, headers=api_key(production), timeout=30)
    assert answer.status_code == 200, answer.text
    versions = {p["version"] for p in answer.json()["predictions"]}
    assert versions == {summary.registry.registered_version}
    assert production.endpoints.metrics is not None
    assert "readiness_requests_total" in httpx.get(production.endpoints.metrics, timeout=10).text


def api_key(descriptor: TargetDescriptor) -> dict[str, str]:
    assert descriptor.credentials.api_key_env is not None
    return {"x-api-key": credentials(descriptor)[descriptor.credentials.api_key_env]}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from([*ROW, "applicant_id", "instances", "labels", "request_id", "label"])
            | st.text(max_size=8),
            inner,
            max_size=6,
        )
    ),
    max_leaves=24,
)
bodies = (
    json_values.map(lambda v: json.dumps(v).encode())
    | st.builds(
        lambda rows: json.dumps({"instances": rows}).encode(), st.lists(json_values, max_size=3)
    )
    | st.binary(max_size=200)
)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=bodies, route=st.sampled_from(["predict", "explain", "feedback"]))
def test_no_body_a_client_sends_gets_a_server_error(
    production: TargetDescriptor, body: bytes, route: str
) -> None:
    url = getattr(production.endpoints, route)
    assert url is not None
    headers = {**api_key(production), "content-type": "application/json"}
    answer = httpx.post(url.format(model="adult-income"), content=body, headers=headers, timeout=30)
    assert answer.status_code < 500, answer.text


def test_down_when_nothing_runs_says_so(tmp_path: Path) -> None:
    finished = readiness(Home(tmp_path), "down", "microservice")
    assert finished.returncode == 0
    assert "was not running" in finished.stderr


def test_an_unknown_architecture_is_bad_input(tmp_path: Path) -> None:
    finished = readiness(Home(tmp_path), "up", "monolith")
    assert finished.returncode == 2
    assert "ARCH must be one of microservice, event-driven, edge" in finished.stderr


def test_production_without_the_alias_is_refused_before_starting(
    trained: tuple[Home, TrainingSummary],
) -> None:
    home, _ = trained
    finished = readiness(home, "up", "microservice", "--alias", "champion")
    assert finished.returncode == 2
    assert "the registry has no adult-income@champion" in finished.stderr
