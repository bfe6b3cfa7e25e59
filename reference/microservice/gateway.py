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
from typing import Any, Literal, Protocol

import numpy as np
import numpy.typing as npt
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, ConfigDict, Field

from readiness.errors import (
    FaultUnsupported,
    IntegrityFailed,
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
    refused_instances,
    validated,
)
from reference.platform.serving.ratelimit import RateLimit, TenantLimiter

API_KEY_HEADER = "x-api-key"
ANONYMOUS = "anonymous"


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


class FeatureLookup(Protocol):
    def lookup(self, applicant_ids: list[str]) -> dict[str, dict[str, Any] | None]:
        """Online features of each applicant; None for an applicant the store lacks."""
        ...


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


def error_status(error: OperationFailed | PolicyViolation | InvalidInput) -> int:
    """Refused by a rule or an integrity check: 409; a name that is not there: 404; our
    own or a dependency's failure: 503 (never a 500 with a stack trace)."""
    if isinstance(error, PolicyViolation | IntegrityFailed | FaultUnsupported):
        return 409
    if isinstance(error, InvalidInput):
        return 404
    return 503


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
    inputs = [c.name for c in schema.model_inputs]
    backend, router = serving.backend, serving.router
    app.state.cache, app.state.metrics, app.state.serving = cache, metrics, serving

    def identify(request: Request, role: Role, model: str | None) -> Identity | None:
        if not switches.auth:
            return None
        return keys.authorise(request.headers.get(API_KEY_HEADER), role, model)

    async def instances_of(
        request: Request, body_model: type[BaseModel], model: str, version: str
    ) -> list[dict[str, Any]]:
        document = await read_json(request, settings.max_body_bytes)
        if not switches.validation:
            instances = document.get("instances") if isinstance(document, dict) else None
            if not isinstance(instances, list) or not all(isinstance(i, dict) for i in instances):
                raise Problem(422, [{"loc": ["body", "instances"], "msg": "a list of objects"}])
            return instances
        try:
            parsed = validated(body_model, document)
        except Problem as refused:
            if recorder is not None:  # what was refused is evidence of data quality
                recorder.refuse(model, version, refused.errors, refused_instances(refused))
            raise
        return [i.model_dump(exclude_none=True) for i in parsed.instances]  # type: ignore[attr-defined]

    def refuse_paused_batch(model: str, instances: int) -> None:
        """A high-severity alert pauses batch predictions; single ones still answer."""
        reason = serving.control.batch_paused(model) if serving.control is not None else None
        if reason is not None and instances > 1:
            raise Problem(503, f"batch predictions of '{model}' are paused: {reason}; send "
                               "one instance per request, or retry later",
                          {"Retry-After": "60"})  # fmt: skip

    def admit(tenant: str, instances: int, *, spend: bool = True) -> None:
        """Spend the tenant's tokens, or 429; `spend=False` refuses an empty bucket before
        the body is read, so a tenant over its limit costs the gateway almost nothing."""
        if not switches.rate_limit:
            return
        decision = limiter.take(tenant, instances) if spend else limiter.check(tenant, 1)
        if not decision.allowed:
            raise Problem(429, f"{decision.reason} for tenant '{tenant}'",
                          {"Retry-After": decision.retry_after_header})  # fmt: skip

    def resolve(instances: list[dict[str, Any]]) -> list[dict[str, Any]]:
        wanted = [i[schema.entity] for i in instances if schema.entity in i]
        if not wanted:
            return instances
        if serving.features is None:
            raise Problem(422, "this deployment has no feature store: send full feature rows")
        found = serving.features.lookup(wanted)
        rows: list[dict[str, Any]] = []
        for index, instance in enumerate(instances):
            if schema.entity not in instance:
                rows.append(instance)
                continue
            stored = found.get(instance[schema.entity])
            if stored is None:
                where = ["body", "instances", index, schema.entity]
                message = f"no features for {instance[schema.entity]}"
                raise Problem(422, [{"loc": where, "msg": message}])
            rows.append({**stored, **{k: v for k, v in instance.items() if k != schema.entity}})
        return rows

    encode = RecordEncoder(schema).encode

    def routed(model: str, tenant: str) -> tuple[str, str | None]:
        route = router.route(model, tenant)
        if route is None or route.version not in backend.loaded(model):
            raise Problem(404, f"model '{model}' is not served")
        return route.version, route.shadow

    async def observed(route: str, model: str, request: Request, answer: Any) -> Response:
        """Run a route's handler with its request count and latency recorded."""
        started, labels = time.perf_counter(), {"tenant": ANONYMOUS, "version": ""}
        status = 500
        try:
            response: Response = await answer(labels)
            status = response.status_code
            return response
        except Problem as problem:
            status = problem.status
            raise
        except (OperationFailed, PolicyViolation, InvalidInput) as error:
            status = error_status(error)
            raise
        finally:
            if switches.metrics:
                tenant, version = labels["tenant"], labels["version"]
                metrics.requests.labels(route, model, version, tenant, str(status)).inc()
                metrics.latency.labels(route, model, version, tenant).observe(
                    time.perf_counter() - started
                )

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
        async def answer(labels: dict[str, str]) -> Response:
            started = time.perf_counter()
            identity = identify(request, Role.PREDICT, model)
            tenant = labels["tenant"] = identity.tenant if identity else ANONYMOUS
            version, shadow = routed(model, tenant)
            labels["version"] = version
            admit(tenant, 1, spend=False)
            instances = await instances_of(request, request_model, model, version)
            admit(tenant, len(instances))
            refuse_paused_batch(model, len(instances))
            rows = resolve(instances)
            numeric, categorical = encode(rows)
            probabilities = await infer(model, version, rows, numeric, categorical)
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
                mirror(request_id, model, shadow, rows)
            metrics.batch.labels(model).observe(len(rows))
            body = PredictResponse(
                request_id=request_id,
                predictions=[
                    Prediction(probability=p, label=y, model=model, version=version)
                    for p, y in zip(probabilities, labelled, strict=True)
                ],
            )
            return JSONResponse(body.model_dump())

        return await observed("predict", model, request, answer)

    async def infer(
        model: str,
        version: str,
        rows: list[dict[str, Any]],
        numeric: npt.NDArray[np.float32],
        categorical: npt.NDArray[np.int64],
    ) -> list[float]:
        """Cached answers of this version where there are some; the rest inferred."""
        results: list[float | None] = [None] * len(rows)
        misses: list[int] = []
        keys_of: list[dict[str, Any]] = [{name: row.get(name) for name in inputs} for row in rows]
        for index, key in enumerate(keys_of):
            hit = cache.get(model, version, key) if cache else None
            if cache is not None:
                metrics.cache.labels(model, "hit" if hit is not None else "miss").inc()
            if hit is not None:
                results[index] = hit
            else:
                misses.append(index)
        if misses:
            answered = await backend.predict(model, version, numeric[misses], categorical[misses])
            metrics.answered(model, version, answered)
            for index, probability in zip(misses, answered.probabilities, strict=True):
                results[index] = float(probability)
                if cache is not None:
                    cache.put(model, version, keys_of[index], float(probability))
        return [r for r in results if r is not None]

    def mirror(request_id: str, model: str, version: str, rows: list[dict[str, Any]]) -> None:
        async def shadow() -> None:
            try:
                numeric, categorical = encode(rows)
                answered = await backend.predict(model, version, numeric, categorical)
                metrics.answered(model, version, answered)
                if log is not None:
                    values = [float(p) for p in answered.probabilities]
                    await asyncio.to_thread(log.record_shadow, request_id, model, version, values)
                metrics.shadow.labels(model, version, "ok").inc(len(rows))
            except Exception:  # a shadow's failure must never reach the client
                metrics.shadow.labels(model, version, "failed").inc(len(rows))

        task = asyncio.get_running_loop().create_task(shadow())
        serving.shadow_tasks.add(task)
        task.add_done_callback(serving.shadow_tasks.discard)

    async def explained_rows(
        request: Request, model: str, body: type[BaseModel], labels: dict[str, str]
    ) -> tuple[str, list[dict[str, Any]]]:
        """What the explanation routes share before their work: the switch, the caller's
        version of the model, its admitted and resolved instances."""
        if not switches.explain:
            raise Problem(404, "this deployment does not explain its predictions")
        identity = identify(request, Role.PREDICT, model)
        tenant = labels["tenant"] = identity.tenant if identity else ANONYMOUS
        version, _ = routed(model, tenant)
        labels["version"] = version
        instances = await instances_of(request, body, model, version)
        admit(tenant, len(instances))
        return version, resolve(instances)

    @app.post(
        "/v1/models/{model}/explain",
        response_model=ExplainResponse,
        openapi_extra={"requestBody": {"content": {"application/json": {
            "schema": explain_model.model_json_schema()}}, "required": True}},
    )  # fmt: skip
    async def explain(model: str, request: Request) -> Response:
        async def answer(labels: dict[str, str]) -> Response:
            version, rows = await explained_rows(request, model, explain_model, labels)
            numeric, categorical = encode(rows)
            explanations = await backend.explain(model, version, numeric, categorical)
            body = ExplainResponse(
                request_id=str(uuid.uuid4()), model=model, version=version,
                explanations=explanations,
            )  # fmt: skip
            return JSONResponse(body.model_dump())

        return await observed("explain", model, request, answer)

    @app.post(
        "/v1/models/{model}/counterfactual",
        response_model=CounterfactualResponse,
        openapi_extra={"requestBody": {"content": {"application/json": {
            "schema": counterfactual_model.model_json_schema()}}, "required": True}},
    )  # fmt: skip
    async def counterfactual(model: str, request: Request) -> Response:
        """For one instance, the cheapest change of actionable features that flips the
        served version's decision (the recourse policy says which may change)."""

        async def answer(labels: dict[str, str]) -> Response:
            version, (row,) = await explained_rows(request, model, counterfactual_model, labels)
            found = await backend.counterfactual(model, version, row)
            body = CounterfactualResponse(
                request_id=str(uuid.uuid4()), model=model, version=version, counterfactual=found
            )
            return JSONResponse(body.model_dump(mode="json"))

        return await observed("counterfactual", model, request, answer)

    @app.post("/v1/feedback", response_model=FeedbackResponse)
    async def give_feedback(request: Request) -> Response:
        async def answer(labels: dict[str, str]) -> Response:
            identity = identify(request, Role.PREDICT, None)
            tenant = labels["tenant"] = identity.tenant if identity else ANONYMOUS
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

        return await observed("feedback", "", request, answer)

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
