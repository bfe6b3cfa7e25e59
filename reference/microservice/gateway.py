"""The API gateway: auth -> rate limit -> validation -> features -> router -> cache -> inference.

Checks run in that order on purpose: an unauthenticated caller learns nothing about the
body's rules, and a limited tenant costs nothing past the token bucket. Every refusal is a
4xx whose body names the problem. The router picks the version (champion, canary, a
tenant's pin) per request and, in shadow mode, mirrors the request to the challenger
after the answer is sent. Each production feature can be switched off alone
(`settings.Switches`), which the prototype profile does all at once.
"""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import partial
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
from reference.microservice.settings import GatewaySettings
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
from reference.platform.serving.auth import Identity, KeyStore, Role
from reference.platform.serving.group_commit import GroupCommit
from reference.platform.serving.instances import (
    openapi_body,
    predict_request_model,
)
from reference.platform.serving.problems import (
    answer_problems,
    read_body,
    read_json,
)
from reference.platform.serving.ratelimit import TenantLimiter

API_KEY_HEADER = "x-api-key"


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


class Gateway:
    """The gateway's routes over its stages, built once per app: each handler runs the
    stages in the order of the module docstring, inside `Observation`, which counts what
    it answered or refused."""

    def __init__(self, schema: FeatureSchema, serving: Serving, settings: GatewaySettings) -> None:
        switches = self.switches = settings.switches
        self.serving, self.settings = serving, settings
        self.recorder = serving.recorder if switches.monitoring else None
        self.request_model = predict_request_model(schema, settings.max_batch)
        self.explain_model = predict_request_model(schema, settings.max_explain_batch)
        self.counterfactual_model = predict_request_model(schema, 1)
        self.keys = KeyStore(settings.tenants)
        self.limiter = TenantLimiter(settings.limits)
        self.cache = PredictionCache(settings.cache_ttl_s) if switches.cache else None
        if serving.control is not None:
            serving.control.cache = self.cache  # promotions and rollbacks drop its answers
        self.log = serving.log if switches.prediction_log else None
        self.logged = GroupCommit(self.log.write_predictions) if self.log is not None else None
        self.metrics = GatewayMetrics()
        self.encoder = RecordEncoder(schema)
        self.callers = Identification(self.keys, switches.auth)
        self.admission = Admission(self.limiter, switches.rate_limit)
        self.bodies = Instances(switches.validation, self.recorder)
        self.paused = BatchPause(serving.control)
        self.resolution = FeatureResolution(schema, serving.features)
        self.routing = Routing(serving.router, serving.backend)
        inputs = tuple(c.name for c in schema.model_inputs)
        self.inference = Inference(serving.backend, self.metrics, inputs, self.cache)
        self.shadows = Mirror(serving.backend, self.encoder, self.metrics, serving.shadow_tasks,
                              self.log)  # fmt: skip
        self.observation = Observation(self.metrics, switches.metrics)

    # ---------------------------------------------------------------- shared steps

    def identify(self, request: Request, role: Role, model: str | None) -> Identity | None:
        return self.callers.identify(request.headers.get(API_KEY_HEADER), role, model)

    def tenant_of(self, request: Request, role: Role, model: str | None, labels: Labels) -> str:
        labels["tenant"] = self.callers.tenant(request.headers.get(API_KEY_HEADER), role, model)
        return labels["tenant"]

    async def instances_of(
        self, request: Request, body_model: type[BaseModel], model: str, version: str
    ) -> list[dict[str, Any]]:
        document = await read_json(request, self.settings.max_body_bytes)
        return self.bodies.parse(document, body_model, model, version)

    async def explained_rows(
        self, request: Request, model: str, body: type[BaseModel], labels: Labels
    ) -> tuple[str, list[dict[str, Any]]]:
        """What the explanation routes share before their work: the switch, the caller's
        version of the model, its admitted and resolved instances."""
        if not self.switches.explain:
            raise Problem(404, "this deployment does not explain its predictions")
        tenant = self.tenant_of(request, Role.PREDICT, model, labels)
        version, _ = self.routing.route(model, tenant)
        labels["version"] = version
        instances = await self.instances_of(request, body, model, version)
        self.admission.admit(tenant, len(instances))
        return version, self.resolution.resolve(instances)

    # ---------------------------------------------------------------- predict

    async def predict(self, model: str, request: Request) -> Response:
        return await self.observation.observe(
            "predict", model, partial(self._predict, model, request)
        )

    async def _predict(self, model: str, request: Request, labels: Labels) -> Response:
        started = time.perf_counter()
        tenant = self.tenant_of(request, Role.PREDICT, model, labels)
        version, shadow = self.routing.route(model, tenant)
        labels["version"] = version
        self.admission.admit(tenant, 1, spend=False)
        instances = await self.instances_of(request, self.request_model, model, version)
        self.admission.admit(tenant, len(instances))
        self.paused.refuse(model, len(instances))
        rows = self.resolution.resolve(instances)
        numeric, categorical = self.encoder.encode(rows)
        probabilities = await self.inference.infer(model, version, rows, numeric, categorical)
        answered = Answered.of(str(uuid.uuid4()), tenant, model, version, probabilities)
        latency_ms = (time.perf_counter() - started) * 1000
        await self._record(answered, instances, rows, latency_ms)
        if self.recorder is not None:
            self.recorder.add(model, version, numeric, categorical, probabilities, latency_ms)
        if shadow is not None:
            self.shadows.mirror(answered.request_id, model, shadow, rows)
        self.metrics.batch.labels(model).observe(len(rows))
        return JSONResponse(answered.response().model_dump())

    async def _record(
        self, answered: "Answered", instances: list[dict[str, Any]], rows: list[dict[str, Any]],
        latency_ms: float,
    ) -> None:  # fmt: skip
        """Logs the answers with the rows they answered (and the applicant_id each was
        looked up by) before the response is sent: an answered request is a logged one."""
        if self.logged is None:
            return
        features = [{**i, **r} for i, r in zip(instances, rows, strict=True)]
        await self.logged.submit(prediction_rows(
            answered.request_id, answered.tenant, answered.model, answered.answers(), features,
            latency_ms,
        ))  # fmt: skip

    # ---------------------------------------------------------------- explanations

    async def explain(self, model: str, request: Request) -> Response:
        return await self.observation.observe(
            "explain", model, partial(self._explain, model, request)
        )

    async def _explain(self, model: str, request: Request, labels: Labels) -> Response:
        version, rows = await self.explained_rows(request, model, self.explain_model, labels)
        numeric, categorical = self.encoder.encode(rows)
        explanations = await self.serving.backend.explain(model, version, numeric, categorical)
        body = ExplainResponse(
            request_id=str(uuid.uuid4()), model=model, version=version, explanations=explanations
        )
        return JSONResponse(body.model_dump())

    async def counterfactual(self, model: str, request: Request) -> Response:
        """For one instance, the cheapest change of actionable features that flips the
        served version's decision (the recourse policy says which may change)."""
        return await self.observation.observe(
            "counterfactual", model, partial(self._counterfactual, model, request)
        )

    async def _counterfactual(self, model: str, request: Request, labels: Labels) -> Response:
        body_model = self.counterfactual_model
        version, (row,) = await self.explained_rows(request, model, body_model, labels)
        found = await self.serving.backend.counterfactual(model, version, row)
        body = CounterfactualResponse(
            request_id=str(uuid.uuid4()), model=model, version=version, counterfactual=found
        )
        return JSONResponse(body.model_dump(mode="json"))

    # ---------------------------------------------------------------- feedback

    async def give_feedback(self, request: Request) -> Response:
        return await self.observation.observe("feedback", "", partial(self._feedback, request))

    async def _feedback(self, request: Request, labels: Labels) -> Response:
        """Ground truth for a tenant's own earlier predictions, and no one else's."""
        tenant = self.tenant_of(request, Role.PREDICT, None, labels)
        log = self.log
        if log is None:
            raise Problem(404, "this deployment keeps no prediction log to label")
        body = await read_body(request, FeedbackRequest, self.settings.max_body_bytes)
        owners = await asyncio.to_thread(log.owners, [f.request_id for f in body.labels])
        for index, item in enumerate(body.labels):
            if owners.get((item.request_id, item.position)) != tenant:
                raise Problem(422, [{
                    "loc": ["body", "labels", index, "request_id"],
                    "msg": f"no prediction {item.request_id}#{item.position} of tenant '{tenant}'",
                }])  # fmt: skip
        rows = [(f.request_id, f.position, int(f.label)) for f in body.labels]
        await asyncio.to_thread(log.record_feedback, rows)
        self.metrics.feedback.labels(tenant).inc(len(rows))
        return JSONResponse(FeedbackResponse(accepted=len(rows)).model_dump())

    # ---------------------------------------------------------------- probes of the system

    async def healthz(self) -> dict[str, str]:
        return {"status": "ok"}

    async def readyz(self) -> Response:
        if self.serving.backend.ready():
            return JSONResponse({"status": "ready"})
        return JSONResponse({"status": "not ready"}, 503)

    async def metrics_text(self) -> Response:
        """The gauges read at scrape time (replicas, batch fill, what is routed) and the
        counters, in Prometheus' text format."""
        if not self.switches.metrics:
            return PlainTextResponse("metrics are switched off\n", 404)
        metrics, backend, router = self.metrics, self.serving.backend, self.serving.router
        metrics.model_info.clear()  # only what is routed now
        for model in router.models():
            for version, count in (await backend.replicas(model)).items():
                metrics.replicas.labels(model, version).set(count)
            for version, (calls, sent) in backend.batching(model).items():
                metrics.batch_calls.labels(model, version).set(calls)
                metrics.batched_requests.labels(model, version).set(sent)
            routed = router.table(model)
            for version in routed.versions() if routed else ():
                digest = self.serving.served_hashes.get((model, version))
                if digest is not None:
                    metrics.model_info.labels(model, version, digest).set(1)
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)


@dataclass(frozen=True)
class Answered:
    """One predict request's answers, as the response, the log and the shadow see them."""

    request_id: str
    tenant: str
    model: str
    version: str
    probabilities: list[float]
    labels: list[int]

    @classmethod
    def of(cls, request_id: str, tenant: str, model: str, version: str,
           probabilities: list[float]) -> "Answered":  # fmt: skip
        labels = [int(p >= DECISION_THRESHOLD) for p in probabilities]
        return cls(request_id, tenant, model, version, probabilities, labels)

    def answers(self) -> list[Answer]:
        pairs = enumerate(zip(self.probabilities, self.labels, strict=True))
        return [Answer(i, self.version, p, y) for i, (p, y) in pairs]

    def response(self) -> PredictResponse:
        return PredictResponse(request_id=self.request_id, predictions=[
            Prediction(probability=p, label=y, model=self.model, version=self.version)
            for p, y in zip(self.probabilities, self.labels, strict=True)
        ])  # fmt: skip


def create_app(schema: FeatureSchema, serving: Serving, settings: GatewaySettings) -> FastAPI:
    """The gateway's app: its routes, the admin routes, and in front of them (when auth and
    rate limits are on) the early refusal that answers a 401 or 429 before FastAPI runs."""
    gateway = Gateway(schema, serving, settings)
    recorder = gateway.recorder

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
    app.state.cache, app.state.metrics, app.state.serving = gateway.cache, gateway.metrics, serving
    answer_problems(app)
    for kind in (OperationFailed, PolicyViolation, InvalidInput):
        app.add_exception_handler(kind, failed)  # type: ignore[arg-type]
    routes = (
        ("/v1/models/{model}/predict", gateway.predict, PredictResponse, gateway.request_model),
        ("/v1/models/{model}/explain", gateway.explain, ExplainResponse, gateway.explain_model),
        ("/v1/models/{model}/counterfactual", gateway.counterfactual, CounterfactualResponse,
         gateway.counterfactual_model),
    )  # fmt: skip
    for path, handler, response, body in routes:
        app.add_api_route(path, handler, methods=["POST"], response_model=response,
                          openapi_extra=openapi_body(body))  # fmt: skip
    app.add_api_route("/v1/feedback", gateway.give_feedback, methods=["POST"],
                      response_model=FeedbackResponse)  # fmt: skip
    add_admin_routes(app, serving, settings, gateway.identify)
    app.state.front = app
    if settings.switches.rate_limit and settings.switches.auth:  # a refusal never enters FastAPI
        metrics = gateway.metrics if settings.switches.metrics else None
        app.state.front = EarlyRefusal(app, gateway.keys, gateway.limiter, metrics, API_KEY_HEADER)
    app.add_api_route("/healthz", gateway.healthz, methods=["GET"])
    app.add_api_route("/readyz", gateway.readyz, methods=["GET"])
    app.add_api_route("/metrics", gateway.metrics_text, methods=["GET"])
    return app
