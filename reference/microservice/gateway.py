"""The API gateway: auth -> rate limit -> validation -> features -> router -> cache -> inference.

Checks run in that order on purpose: an unauthenticated caller learns nothing about the
body's rules, and a limited tenant costs nothing past the token bucket. Every refusal is a
4xx whose body names the problem. The router picks the version (champion, canary, a
tenant's pin) per request and, in shadow mode, mirrors the request to the challenger
after the answer is sent. Each production feature can be switched off alone (`Switches`),
which the prototype profile does all at once.
"""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, ConfigDict, Field

from readiness.errors import (
    InvalidInput,
    OperationFailed,
    PolicyViolation,
    Problem,
)
from reference.microservice.admin import add_admin_routes
from reference.microservice.admission import EarlyRefusal
from reference.microservice.backends import InferenceBackend
from reference.microservice.cache import PredictionCache
from reference.microservice.control import ModelControl
from reference.microservice.metrics import GatewayMetrics
from reference.microservice.payloads import Prediction, PredictResponse
from reference.microservice.routing import Router
from reference.microservice.stages import (
    Admission,
    BatchPause,
    FeatureLookup,
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
from reference.platform.audit.prediction_log import Answer, PredictionLog, prediction_rows
from reference.platform.explain.attributions import Attribution
from reference.platform.explain.counterfactual import Counterfactual
from reference.platform.model.evaluation import DECISION_THRESHOLD
from reference.platform.model.schema import FeatureSchema, RecordEncoder
from reference.platform.monitoring.recorder import SketchRecorder
from reference.platform.serving.auth import Identity, KeyStore, Role, TenantKey
from reference.platform.serving.group_commit import GroupCommit
from reference.platform.serving.instances import DEFAULT_MAX_BATCH, predict_request_model
from reference.platform.serving.problems import (
    answer_problems,
    read_body,
    read_json,
)
from reference.platform.serving.ratelimit import RateLimit, TenantLimiter

API_KEY_HEADER = "x-api-key"


class Switches(BaseModel):
    """Each production feature, on or off alone."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    auth: bool = True
    rate_limit: bool = True
    validation: bool = True
    cache: bool = True
    metrics: bool = True
    prediction_log: bool = True
    admin: bool = True
    explain: bool = True
    """The explain and counterfactual routes."""
    monitoring: bool = True
    """Sketches of every prediction and refusal for the monitors."""


class GatewaySettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    tenants: list[TenantKey] = []
    limits: dict[str, RateLimit] = {}
    max_batch: int = Field(default=DEFAULT_MAX_BATCH, ge=1)
    max_explain_batch: int = Field(default=16, ge=1)
    max_body_bytes: int = Field(default=1_000_000, ge=1)
    cache_ttl_s: float = Field(default=300.0, gt=0)
    switches: Switches = Switches()


@dataclass
class Serving:
    """What the gateway serves with; everything but the backend and router is optional."""

    backend: InferenceBackend
    router: Router
    features: FeatureLookup | None = None
    log: PredictionLog | None = None
    control: ModelControl | None = None
    recorder: SketchRecorder | None = None
    served_hashes: dict[tuple[str, str], str] = field(default_factory=dict)
    """(model, version) -> sha256 of each loaded artifact, verified when it was loaded."""
    shadow_tasks: set["asyncio.Task[None]"] = field(default_factory=set)


class FeedbackLabel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    request_id: str = Field(pattern=r"^[0-9a-f-]{36}$")
    position: int = Field(default=0, ge=0, le=100_000)
    label: Literal[0, 1]


class FeedbackRequest(BaseModel):
    """The body of `POST /v1/feedback`: ground truth for earlier predictions."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    labels: list[FeedbackLabel] = Field(min_length=1, max_length=1000)


class FeedbackResponse(BaseModel):
    accepted: int


class ExplainResponse(BaseModel):
    request_id: str
    model: str
    version: str
    explanations: list[Attribution]


class CounterfactualResponse(BaseModel):
    request_id: str
    model: str
    version: str
    counterfactual: Counterfactual


async def failed(_: Request, error: OperationFailed | PolicyViolation | InvalidInput) -> Response:
    return JSONResponse({"detail": str(error)}, error_status(error))


def create_app(schema: FeatureSchema, serving: Serving, settings: GatewaySettings) -> FastAPI:
    switches = settings.switches
    recorder = serving.recorder if switches.monitoring else None

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        """The monitors' sketches are flushed every second while the gateway serves."""
        stop = asyncio.Event()
        flusher = asyncio.create_task(recorder.run(stop)) if recorder is not None else None
        yield
        stop.set()
        if flusher is not None:
            await flusher

    app = FastAPI(title="readiness microservice gateway", version="1", lifespan=lifespan)
    request_model = predict_request_model(schema, settings.max_batch)
    explain_model = predict_request_model(schema, settings.max_explain_batch)
    counterfactual_model = predict_request_model(schema, 1)
    keys = KeyStore(settings.tenants)
    limiter = TenantLimiter(settings.limits)
    cache = PredictionCache(settings.cache_ttl_s) if switches.cache else None
    if serving.control is not None:
        serving.control.cache = cache  # promotions and rollbacks drop this cache's answers
    log = serving.log if switches.prediction_log else None
    logged = GroupCommit(log.write_predictions) if log is not None else None
    metrics = GatewayMetrics()
    backend, router = serving.backend, serving.router
    app.state.cache, app.state.metrics, app.state.serving = cache, metrics, serving
    encoder = RecordEncoder(schema)
    encode = encoder.encode
    callers = Identification(keys, switches.auth)
    admission = Admission(limiter, switches.rate_limit)
    bodies = Instances(switches.validation, recorder)
    paused = BatchPause(serving.control)
    resolution = FeatureResolution(schema, serving.features)
    routing = Routing(router, backend)
    inference = Inference(backend, metrics, tuple(c.name for c in schema.model_inputs), cache)
    shadows = Mirror(backend, encoder, metrics, serving.shadow_tasks, log)
    observation = Observation(metrics, switches.metrics)

    def identify(request: Request, role: Role, model: str | None) -> Identity | None:
        return callers.identify(request.headers.get(API_KEY_HEADER), role, model)

    def tenant_of(request: Request, role: Role, model: str | None, labels: Labels) -> str:
        labels["tenant"] = callers.tenant(request.headers.get(API_KEY_HEADER), role, model)
        return labels["tenant"]

    async def instances_of(
        request: Request, body_model: type[BaseModel], model: str, version: str
    ) -> list[dict[str, Any]]:
        document = await read_json(request, settings.max_body_bytes)
        return bodies.parse(document, body_model, model, version)

    answer_problems(app)

    for kind in (OperationFailed, PolicyViolation, InvalidInput):
        app.add_exception_handler(kind, failed)  # type: ignore[arg-type]

    @app.post(
        "/v1/models/{model}/predict",
        response_model=PredictResponse,
        openapi_extra={"requestBody": {"content": {"application/json": {
            "schema": request_model.model_json_schema()}}, "required": True}},
    )  # fmt: skip
    async def predict(model: str, request: Request) -> Response:
        async def answer(labels: Labels) -> Response:
            started = time.perf_counter()
            tenant = tenant_of(request, Role.PREDICT, model, labels)
            version, shadow = routing.route(model, tenant)
            labels["version"] = version
            admission.admit(tenant, 1, spend=False)
            instances = await instances_of(request, request_model, model, version)
            admission.admit(tenant, len(instances))
            paused.refuse(model, len(instances))
            rows = resolution.resolve(instances)
            numeric, categorical = encode(rows)
            probabilities = await inference.infer(model, version, rows, numeric, categorical)
            request_id = str(uuid.uuid4())
            labelled = [int(p >= DECISION_THRESHOLD) for p in probabilities]
            latency_ms = (time.perf_counter() - started) * 1000
            if logged is not None:
                pairs = enumerate(zip(probabilities, labelled, strict=True))
                answers = [Answer(i, version, p, y) for i, (p, y) in pairs]
                # the rows answered, with the applicant_id each was looked up by
                features = [{**i, **r} for i, r in zip(instances, rows, strict=True)]
                await logged.submit(
                    prediction_rows(request_id, tenant, model, answers, features, latency_ms)
                )
            if recorder is not None:
                recorder.add(model, version, numeric, categorical, probabilities, latency_ms)
            if shadow is not None:
                shadows.mirror(request_id, model, shadow, rows)
            metrics.batch.labels(model).observe(len(rows))
            body = PredictResponse(
                request_id=request_id,
                predictions=[
                    Prediction(probability=p, label=y, model=model, version=version)
                    for p, y in zip(probabilities, labelled, strict=True)
                ],
            )
            return JSONResponse(body.model_dump())

        return await observation.observe("predict", model, answer)

    async def explained_rows(
        request: Request, model: str, body: type[BaseModel], labels: Labels
    ) -> tuple[str, list[dict[str, Any]]]:
        """What the explanation routes share before their work: the switch, the caller's
        version of the model, its admitted and resolved instances."""
        if not switches.explain:
            raise Problem(404, "this deployment does not explain its predictions")
        tenant = tenant_of(request, Role.PREDICT, model, labels)
        version, _ = routing.route(model, tenant)
        labels["version"] = version
        instances = await instances_of(request, body, model, version)
        admission.admit(tenant, len(instances))
        return version, resolution.resolve(instances)

    @app.post(
        "/v1/models/{model}/explain",
        response_model=ExplainResponse,
        openapi_extra={"requestBody": {"content": {"application/json": {
            "schema": explain_model.model_json_schema()}}, "required": True}},
    )  # fmt: skip
    async def explain(model: str, request: Request) -> Response:
        async def answer(labels: Labels) -> Response:
            version, rows = await explained_rows(request, model, explain_model, labels)
            numeric, categorical = encode(rows)
            explanations = await backend.explain(model, version, numeric, categorical)
            body = ExplainResponse(
                request_id=str(uuid.uuid4()), model=model, version=version,
                explanations=explanations,
            )  # fmt: skip
            return JSONResponse(body.model_dump())

        return await observation.observe("explain", model, answer)

    @app.post(
        "/v1/models/{model}/counterfactual",
        response_model=CounterfactualResponse,
        openapi_extra={"requestBody": {"content": {"application/json": {
            "schema": counterfactual_model.model_json_schema()}}, "required": True}},
    )  # fmt: skip
    async def counterfactual(model: str, request: Request) -> Response:
        """For one instance, the cheapest change of actionable features that flips the
        served version's decision (the recourse policy says which may change)."""

        async def answer(labels: Labels) -> Response:
            version, (row,) = await explained_rows(request, model, counterfactual_model, labels)
            found = await backend.counterfactual(model, version, row)
            body = CounterfactualResponse(
                request_id=str(uuid.uuid4()), model=model, version=version, counterfactual=found
            )
            return JSONResponse(body.model_dump(mode="json"))

        return await observation.observe("counterfactual", model, answer)

    @app.post("/v1/feedback", response_model=FeedbackResponse)
    async def give_feedback(request: Request) -> Response:
        async def answer(labels: Labels) -> Response:
            tenant = tenant_of(request, Role.PREDICT, None, labels)
            if log is None:
                raise Problem(404, "this deployment keeps no prediction log to label")
            body = await read_body(request, FeedbackRequest, settings.max_body_bytes)
            owners = await asyncio.to_thread(log.owners, [f.request_id for f in body.labels])
            for index, item in enumerate(body.labels):
                if owners.get((item.request_id, item.position)) != tenant:
                    raise Problem(422, [{
                        "loc": ["body", "labels", index, "request_id"],
                        "msg": f"no prediction {item.request_id}#{item.position} "
                               f"of tenant '{tenant}'",
                    }])  # fmt: skip
            rows = [(f.request_id, f.position, int(f.label)) for f in body.labels]
            await asyncio.to_thread(log.record_feedback, rows)
            metrics.feedback.labels(tenant).inc(len(rows))
            return JSONResponse(FeedbackResponse(accepted=len(rows)).model_dump())

        return await observation.observe("feedback", "", answer)

    add_admin_routes(app, serving, settings, identify)
    app.state.front = app
    if switches.rate_limit and switches.auth:  # outermost: a refusal never enters FastAPI
        app.state.front = EarlyRefusal(
            app, keys, limiter, metrics if switches.metrics else None, API_KEY_HEADER
        )

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz() -> Response:
        if backend.ready():
            return JSONResponse({"status": "ready"})
        return JSONResponse({"status": "not ready"}, 503)

    @app.get("/metrics")
    async def metrics_text() -> Response:
        if not switches.metrics:
            return PlainTextResponse("metrics are switched off\n", 404)
        metrics.model_info.clear()  # only what is routed now
        for model in router.models():
            for version, count in (await backend.replicas(model)).items():
                metrics.replicas.labels(model, version).set(count)
            for version, (calls, sent) in backend.batching(model).items():
                metrics.batch_calls.labels(model, version).set(calls)
                metrics.batched_requests.labels(model, version).set(sent)
            routed = router.table(model)
            for version in routed.versions() if routed else ():
                digest = serving.served_hashes.get((model, version))
                if digest is not None:
                    metrics.model_info.labels(model, version, digest).set(1)
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return app
