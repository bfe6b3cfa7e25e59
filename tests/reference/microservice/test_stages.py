"""The gateway's stages one at a time, each with what it is given and nothing else: a table
of cases per stage, without an app, a server or a model."""

import asyncio
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from fastapi.responses import JSONResponse, Response

from readiness.errors import IntegrityFailed, OperationFailed, Problem, PromotionRefused
from reference.microservice.backends import Predictions
from reference.microservice.cache import PredictionCache
from reference.microservice.metrics import GatewayMetrics
from reference.microservice.routing import ModelRoutes, Router
from reference.microservice.stages import (
    Admission,
    BatchPause,
    FeatureResolution,
    Identification,
    Inference,
    Instances,
    Labels,
    Mirror,
    Observation,
    Routing,
    error_status,
)
from reference.platform.model.schema import FeatureSchema, RecordEncoder, load_schema
from reference.platform.serving.auth import ANONYMOUS, KeyStore, Role, TenantKey, hash_key, new_key
from reference.platform.serving.instances import predict_request_model
from reference.platform.serving.ratelimit import RateLimit, TenantLimiter
from tests.examples import VALID_ROW

MODEL = "adult-income"
KEY = new_key()
KEYS = KeyStore([TenantKey(tenant="acme", key_hash=hash_key(KEY), models=frozenset({MODEL}))])


@pytest.fixture(scope="module")
def schema() -> FeatureSchema:
    return load_schema()


def sample(metrics: GatewayMetrics, name: str, **labels: str) -> float:
    return metrics.registry.get_sample_value(name, labels) or 0.0


class Backend:
    """Answers 0.25 for every row of the versions it holds, or fails when told to."""

    def __init__(self, versions: set[str], fails: bool = False) -> None:
        self.versions, self.fails = versions, fails
        self.calls: list[int] = []

    def loaded(self, model: str) -> set[str]:
        return self.versions

    async def predict(
        self,
        model: str,
        version: str,
        numeric: npt.NDArray[np.float32],
        categorical: npt.NDArray[np.int64],
    ) -> Predictions:
        if self.fails:
            raise OperationFailed("the replica is gone")
        self.calls.append(len(numeric))
        return Predictions.of(np.full(len(numeric), 0.25, dtype=np.float32))


@pytest.mark.parametrize(
    ("enabled", "presented", "role", "tenant"),
    [
        (True, KEY, Role.PREDICT, "acme"),
        (False, None, Role.PREDICT, ANONYMOUS),
        (False, "not-a-key", Role.ADMIN, ANONYMOUS),
    ],
    ids=["a known key is its tenant", "auth off: anyone is anonymous", "auth off: no role needed"],
)
def test_identification_names_the_tenant(
    enabled: bool, presented: str | None, role: Role, tenant: str
) -> None:
    assert Identification(KEYS, enabled).tenant(presented, role, MODEL) == tenant


@pytest.mark.parametrize(
    ("presented", "role", "status"),
    [(None, Role.PREDICT, 401), ("rk_unknown", Role.PREDICT, 401), (KEY, Role.ADMIN, 403)],
    ids=["no key", "an unknown key", "a key without the role"],
)
def test_identification_refuses_before_any_other_work(
    presented: str | None, role: Role, status: int
) -> None:
    with pytest.raises(Problem) as refused:
        Identification(KEYS).identify(presented, role, MODEL)
    assert refused.value.status == status


@pytest.mark.parametrize(
    ("enabled", "spent", "instances", "spend", "status"),
    [
        (True, 0, 2, True, None),
        (True, 2, 1, True, 429),
        (True, 2, 1, False, 429),
        (True, 0, 3, True, 413),
        (True, 0, 3, False, None),
        (False, 2, 100, True, None),
    ],
    ids=["within the burst", "an empty bucket: 429 with Retry-After",
         "a check refuses an empty bucket too", "more than the burst: 413, no wait helps",
         "a check costs one instance", "limits off"],
)  # fmt: skip
def test_admission_spends_the_tenants_bucket(
    enabled: bool, spent: int, instances: int, spend: bool, status: int | None
) -> None:
    admission = Admission(TenantLimiter({"acme": RateLimit(rate=0.001, burst=2)}), enabled)
    if spent:
        admission.admit("acme", spent)
    if status is None:
        admission.admit("acme", instances, spend=spend)
        return
    with pytest.raises(Problem) as problem:
        admission.admit("acme", instances, spend=spend)
    assert problem.value.status == status
    assert problem.value.headers.get("Retry-After", "").isdigit() == (status == 429)


class Refused:
    def __init__(self) -> None:
        self.counted: list[int] = []

    def refuse(
        self, model: str, version: str, errors: Iterable[Mapping[str, Any]], instances: int
    ) -> None:
        self.counted.append(instances)


@pytest.mark.parametrize(
    ("validation", "document", "found"),
    [
        (True, {"instances": [VALID_ROW]}, 1),
        (False, {"instances": [{"anything": 1}]}, 1),
        (True, {"instances": [{**VALID_ROW, "age": "old"}]}, "age"),
        (False, {"instances": "rows"}, "instances"),
        (True, {"rows": []}, "instances"),
    ],
    ids=["a valid row", "validation off: any objects", "a bad value names its field",
         "validation off still wants objects", "a body without instances"],
)  # fmt: skip
def test_instances_are_validated_against_the_schema(
    schema: FeatureSchema, validation: bool, document: Any, found: int | str
) -> None:
    refusals = Refused()
    parse = Instances(validation, refusals).parse
    body = predict_request_model(schema, 8)
    if isinstance(found, int):
        assert len(parse(document, body, MODEL, "1")) == found
        assert refusals.counted == []
        return
    with pytest.raises(Problem) as refused:
        parse(document, body, MODEL, "1")
    assert refused.value.status == 422
    assert found in str(refused.value.detail)
    assert refusals.counted == ([1] if validation else [])


class Paused:
    def batch_paused(self, model: str) -> str | None:
        return "a high alert fired"


@pytest.mark.parametrize(
    ("control", "instances", "refused"),
    [(Paused(), 2, True), (Paused(), 1, False), (None, 2, False)],
    ids=["a batch while paused: 503", "one instance still answers", "no control plane"],
)
def test_a_paused_model_refuses_batches_only(
    control: Paused | None, instances: int, refused: bool
) -> None:
    if not refused:
        BatchPause(control).refuse(MODEL, instances)
        return
    with pytest.raises(Problem, match="paused: a high alert fired") as problem:
        BatchPause(control).refuse(MODEL, instances)
    assert problem.value.status == 503


class Store:
    def lookup(self, applicant_ids: list[str]) -> dict[str, dict[str, Any] | None]:
        return {a: ({**VALID_ROW, "age": 61} if a == "a-1" else None) for a in applicant_ids}


@pytest.mark.parametrize(
    ("features", "instances", "ages"),
    [
        (Store(), [{"applicant_id": "a-1"}], [61]),
        (Store(), [{"applicant_id": "a-1", "age": 30}], [30]),
        (None, [VALID_ROW], [VALID_ROW["age"]]),
        (Store(), [{"applicant_id": "a-2"}], "no features for a-2"),
        (None, [{"applicant_id": "a-1"}], "no feature store"),
    ],
    ids=["an id becomes its features", "what the instance sends wins", "full rows pass",
         "an unknown applicant names its position", "ids without a store"],
)  # fmt: skip
def test_feature_resolution_looks_applicants_up(
    schema: FeatureSchema, features: Store | None, instances: list[dict[str, Any]],
    ages: list[int] | str,
) -> None:  # fmt: skip
    resolve = FeatureResolution(schema, features).resolve
    if isinstance(ages, list):
        assert [row["age"] for row in resolve(instances)] == ages
        return
    with pytest.raises(Problem, match=ages):
        resolve(instances)


@pytest.mark.parametrize(
    ("routes", "loaded", "found"),
    [
        (ModelRoutes(champion="2"), {"2"}, ("2", None)),
        (ModelRoutes(champion="2", challenger="3", shadow=True), {"2", "3"}, ("2", "3")),
        (ModelRoutes(champion="2"), {"1"}, None),
        (None, {"2"}, None),
    ],
    ids=["the champion", "a shadow beside it", "a version not loaded: 404", "an unknown model"],
)
def test_routing_picks_a_loaded_version(
    routes: ModelRoutes | None, loaded: set[str], found: tuple[str, str | None] | None
) -> None:
    router = Router(seed=1)
    if routes is not None:
        router.set(MODEL, routes)
    routing = Routing(router, Backend(loaded))
    if found is not None:
        assert routing.route(MODEL, "acme") == found
        return
    with pytest.raises(Problem) as refused:
        routing.route(MODEL, "acme")
    assert refused.value.status == 404


@pytest.mark.parametrize(
    ("cached", "sent"), [(False, [2, 2]), (True, [2])],
    ids=["without a cache every call infers", "a cache answers the second call"],
)  # fmt: skip
def test_inference_asks_the_backend_only_for_what_the_cache_lacks(
    schema: FeatureSchema, cached: bool, sent: list[int]
) -> None:
    backend, metrics = Backend({"1"}), GatewayMetrics()
    cache = PredictionCache(60.0) if cached else None
    inputs = tuple(c.name for c in schema.model_inputs)
    infer = Inference(backend, metrics, inputs, cache).infer
    rows = [VALID_ROW, {**VALID_ROW, "age": 50}]
    numeric, categorical = RecordEncoder(schema).encode(rows)
    for _ in range(2):
        assert asyncio.run(infer(MODEL, "1", rows, numeric, categorical)) == [0.25, 0.25]
    assert backend.calls == sent
    hits = sample(metrics, "readiness_cache_total", model=MODEL, result="hit")
    assert hits == (2.0 if cached else 0.0)


@pytest.mark.parametrize(
    ("fails", "result"), [(False, "ok"), (True, "failed")],
    ids=["a shadow's answers are counted", "a failing shadow never reaches the client"],
)  # fmt: skip
def test_a_mirrored_request_runs_after_the_answer_and_counts_its_outcome(
    schema: FeatureSchema, fails: bool, result: str
) -> None:
    metrics, tasks = GatewayMetrics(), set[asyncio.Task[None]]()
    mirror = Mirror(Backend({"3"}, fails=fails), RecordEncoder(schema), metrics, tasks)

    async def mirrored() -> None:
        mirror.mirror("r-1", MODEL, "3", [VALID_ROW])
        assert len(tasks) == 1
        await asyncio.gather(*tasks)

    asyncio.run(mirrored())
    assert sample(metrics, "readiness_shadow_predictions_total", model=MODEL, version="3",
                  result=result) == 1.0  # fmt: skip
    assert tasks == set()


async def answered(labels: Labels) -> Response:
    labels["tenant"], labels["version"] = "acme", "2"
    return JSONResponse({}, 200)


async def refused(labels: Labels) -> Response:
    raise Problem(429, "slow down")


async def broken(labels: Labels) -> Response:
    raise IntegrityFailed("sha256 differs")


@pytest.mark.parametrize(
    ("answer", "raised", "tenant", "status"),
    [(answered, None, "acme", "200"), (refused, Problem, ANONYMOUS, "429"),
     (broken, IntegrityFailed, ANONYMOUS, "409")],
    ids=["an answer by its tenant", "a refusal by its status, raised on",
         "a failure as its answer, raised on"],
)  # fmt: skip
def test_observation_counts_every_request_by_what_it_was_answered(
    answer: Any, raised: type[Exception] | None, tenant: str, status: str
) -> None:
    metrics = GatewayMetrics()
    observed = Observation(metrics).observe("predict", MODEL, answer)
    if raised is None:
        assert asyncio.run(observed).status_code == 200
    else:
        with pytest.raises(raised):
            asyncio.run(observed)
    version = "2" if tenant == "acme" else ""
    labels = {"route": "predict", "model": MODEL, "version": version, "tenant": tenant}
    assert sample(metrics, "readiness_requests_total", **labels, status=status) == 1.0


@pytest.mark.parametrize(
    ("error", "status"),
    [(PromotionRefused("no approval"), 409), (IntegrityFailed("sha"), 409),
     (OperationFailed("gone"), 503)],
    ids=["a policy refusal", "an integrity failure", "a failure of ours or a dependency"],
)  # fmt: skip
def test_an_error_is_answered_with_the_status_its_kind_means(
    error: OperationFailed | PromotionRefused, status: int
) -> None:
    assert error_status(error) == status
