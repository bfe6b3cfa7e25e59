"""The gateway's refusals and answers, through its HTTP interface (in-process client)."""

from pathlib import Path
from typing import Any

import pytest
import torch
from fastapi.testclient import TestClient

from reference.microservice.backends import LocalBackend
from reference.microservice.gateway import API_KEY_HEADER, Serving, create_app
from reference.microservice.routing import ModelRoutes, Router
from reference.microservice.settings import GatewaySettings, Switches
from reference.platform.audit.pii import PiiRedactor, load_pii_policy
from reference.platform.audit.prediction_log import PredictionLog
from reference.platform.model.architectures import InputSpec, TabularNet
from reference.platform.model.dataset import AdultDataset
from reference.platform.model.export import export_onnx
from reference.platform.serving.auth import Role, TenantKey, hash_key, new_key
from reference.platform.serving.ratelimit import RateLimit
from tests.examples import VALID_ROW

MODEL = "adult-income"
ACME, GLOBEX, VIEWER = new_key(), new_key(), new_key()
ROW = VALID_ROW
SETTINGS = GatewaySettings(
    tenants=[
        TenantKey(tenant="acme", key_hash=hash_key(ACME), models=frozenset({MODEL})),
        TenantKey(tenant="globex", key_hash=hash_key(GLOBEX), models=frozenset({"other"})),
        TenantKey(
            tenant="viewer",
            key_hash=hash_key(VIEWER),
            roles=frozenset({Role.ADMIN}),
            models=frozenset({MODEL}),
        ),
    ],
    limits={"acme": RateLimit(rate=1, burst=5)},
    max_batch=4,
    max_body_bytes=4096,
)


class StoredFeatures:
    """A feature lookup over a dict: the test double of the Feast online store."""

    def __init__(self, rows: dict[str, dict[str, Any]]) -> None:
        self.rows = rows

    def lookup(self, applicant_ids: list[str]) -> dict[str, dict[str, Any] | None]:
        return {a: self.rows.get(a) for a in applicant_ids}


@pytest.fixture(scope="module")
def backend(adult: AdultDataset, tmp_path_factory: pytest.TempPathFactory) -> LocalBackend:
    numeric, categorical = adult.schema.encode(adult.test.head(64))
    torch.manual_seed(0)
    net = TabularNet(InputSpec.fit(adult.schema, numeric), 2, (8,), 0.0).eval()
    path = export_onnx(net, tmp_path_factory.mktemp("model") / "m.onnx", numeric, categorical)
    served = LocalBackend(adult.schema)
    served.load_now(MODEL, "3", path)
    return served


def serving(backend: LocalBackend, features: StoredFeatures | None = None) -> Serving:
    router = Router()
    router.set(MODEL, ModelRoutes(champion="3"))
    return Serving(backend, router, features)


def client(
    adult: AdultDataset, backend: LocalBackend, settings: GatewaySettings = SETTINGS
) -> TestClient:
    app = create_app(adult.schema, serving(backend, StoredFeatures({"A0000001": ROW})), settings)
    return TestClient(app, raise_server_exceptions=False)


def predict(api: TestClient, body: object, key: str | None = ACME, model: str = MODEL) -> Any:
    headers = {API_KEY_HEADER: key} if key else {}
    return api.post(f"/v1/models/{model}/predict", json=body, headers=headers)


def test_a_valid_request_gets_predictions_with_model_version_and_request_id(
    adult: AdultDataset, backend: LocalBackend
) -> None:
    answer = predict(client(adult, backend), {"instances": [ROW, {"applicant_id": "A0000001"}]})
    assert answer.status_code == 200
    body = answer.json()
    assert len(body["request_id"]) == 36
    assert [p["version"] for p in body["predictions"]] == ["3", "3"]
    assert body["predictions"][0]["probability"] == pytest.approx(
        body["predictions"][1]["probability"]
    )


@pytest.mark.parametrize(
    ("key", "model", "status", "message"),
    [
        (None, MODEL, 401, "missing or unknown API key"),
        ("rk_wrong", MODEL, 401, "missing or unknown API key"),
        (GLOBEX, MODEL, 403, "not entitled to model 'adult-income'"),
        (VIEWER, MODEL, 403, "lacks the predict role"),
        (ACME, "unknown-model", 403, "not entitled"),
    ],
    ids=["no key", "wrong key", "other tenant's model", "no predict role", "unentitled model"],
)
def test_callers_without_the_right_key_are_refused(
    adult: AdultDataset,
    backend: LocalBackend,
    key: str | None,
    model: str,
    status: int,
    message: str,
) -> None:
    answer = predict(client(adult, backend), {"instances": [ROW]}, key=key, model=model)
    assert answer.status_code == status
    assert message in answer.json()["detail"]


def test_a_bad_body_is_a_422_naming_the_field(adult: AdultDataset, backend: LocalBackend) -> None:
    answer = predict(client(adult, backend), {"instances": [{**ROW, "age": "old"}]})
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["body", "instances", 0, "row", "age"]


def test_an_unknown_applicant_is_a_422(adult: AdultDataset, backend: LocalBackend) -> None:
    answer = predict(client(adult, backend), {"instances": [{"applicant_id": "A0000009"}]})
    assert answer.status_code == 422
    assert "no features for A0000009" in answer.json()["detail"][0]["msg"]


def test_an_oversized_body_is_a_413(adult: AdultDataset, backend: LocalBackend) -> None:
    answer = predict(client(adult, backend), {"instances": [ROW], "pad": "x" * 5000})
    assert answer.status_code == 413


def test_bursts_get_a_429_with_retry_after(adult: AdultDataset, backend: LocalBackend) -> None:
    api = client(adult, backend)
    assert predict(api, {"instances": [ROW] * 4}).status_code == 200
    assert predict(api, {"instances": [ROW]}).status_code == 200
    refused = predict(api, {"instances": [ROW]})
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "1"


def counters(api: TestClient, name: str) -> dict[str, float]:
    """`{labels: value}` of one counter, read from the metrics endpoint as a scraper would."""
    found = {}
    for line in api.get("/metrics").text.splitlines():
        if line.startswith(name + "{"):
            labels, value = line[len(name) :].rsplit(" ", 1)
            found[labels] = float(value)
    return found


def test_repeated_instances_hit_the_cache(adult: AdultDataset, backend: LocalBackend) -> None:
    api = client(adult, backend)
    predict(api, {"instances": [ROW]})
    predict(api, {"instances": [ROW]})
    assert counters(api, "readiness_cache_total") == {
        '{model="adult-income",result="miss"}': 1.0,
        '{model="adult-income",result="hit"}': 1.0,
    }


def test_metrics_count_the_models_answers_and_measure_a_fallback_of_zero(
    adult: AdultDataset, backend: LocalBackend
) -> None:
    """The cache's answers are not the model's; the fallback's count is there, at 0, from
    the first answer on (the in-process backend has no accelerator to fail)."""
    api = client(adult, backend)
    predict(api, {"instances": [ROW, {**ROW, "age": 41}]})
    predict(api, {"instances": [ROW]})
    version = '{model="adult-income",version="3"}'
    assert counters(api, "readiness_inferred_instances_total") == {version: 2.0}
    assert counters(api, "readiness_fallback_instances_total") == {version: 0.0}


def test_metrics_count_requests_by_route_model_version_tenant_and_status(
    adult: AdultDataset, backend: LocalBackend
) -> None:
    api = client(adult, backend)
    predict(api, {"instances": [ROW]})
    predict(api, {"instances": [ROW]}, key=None)
    requests = counters(api, "readiness_requests_total")
    assert requests == {
        '{model="adult-income",route="predict",status="200",tenant="acme",version="3"}': 1.0,
        '{model="adult-income",route="predict",status="401",tenant="anonymous",version=""}': 1.0,
    }


def test_the_prototype_switches_accept_anyone_and_skip_validation(
    adult: AdultDataset, backend: LocalBackend
) -> None:
    off = Switches(auth=False, rate_limit=False, validation=False, cache=False, metrics=False)
    api = client(adult, backend, SETTINGS.model_copy(update={"switches": off}))
    assert predict(api, {"instances": [ROW] * 6}, key=None).status_code == 200
    assert api.get("/metrics").status_code == 404


def test_health_readiness_and_openapi_answer(adult: AdultDataset, backend: LocalBackend) -> None:
    api = client(adult, backend)
    assert api.get("/healthz").json() == {"status": "ok"}
    assert api.get("/readyz").status_code == 200
    spec = api.get("/openapi.json").json()
    assert "/v1/models/{model}/predict" in spec["paths"]


def test_not_ready_without_a_model(adult: AdultDataset, tmp_path: Path) -> None:
    api = TestClient(create_app(adult.schema, serving(LocalBackend(adult.schema)), SETTINGS))
    assert api.get("/readyz").status_code == 503


def test_a_prediction_is_logged_with_its_features_pii_hashed_and_its_latency(
    adult: AdultDataset, backend: LocalBackend, tmp_path: Path
) -> None:
    redactor = PiiRedactor(load_pii_policy(), adult.schema, b"k" * 32)
    log = PredictionLog(f"sqlite:///{tmp_path / 'audit.db'}", redactor)
    logging = serving(backend, StoredFeatures({"A0000001": ROW}))
    logging.log = log
    api = TestClient(create_app(adult.schema, logging, SETTINGS))
    sent = {**ROW, "contact_email": "ana@example.invalid", "sex": "Female"}
    assert predict(api, {"instances": [sent, {"applicant_id": "A0000001"}]}).status_code == 200
    full_row, looked_up = log.predictions_since(0, 10)
    assert full_row.features["contact_email"] == redactor.keyed_hash("ana@example.invalid")
    assert full_row.features["sex"] == "Female"
    assert looked_up.features == {**ROW, "applicant_id": redactor.keyed_hash("A0000001")}
    assert full_row.latency_ms is not None
    assert full_row.latency_ms > 0
    log.close()
