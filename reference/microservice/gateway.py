"""The API gateway: auth -> rate limit -> validation -> features -> cache -> inference.

Checks run in that order on purpose: an unauthenticated caller learns nothing about the
body's rules, and a limited tenant costs nothing past the token bucket. Every refusal is a
4xx whose body names the problem; the body is parsed by our own code (not by the framework
before auth) so its size is checked first. Each production feature can be switched off
alone (`Switches`), which the prototype profile does all at once.
"""

import json
import time
import uuid
from collections.abc import Mapping
from typing import Any, Protocol

import pandas as pd
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from reference.microservice.auth import Identity, KeyStore, Role, TenantKey
from reference.microservice.backends import InferenceBackend, ServedVersion
from reference.microservice.cache import PredictionCache
from reference.microservice.payloads import (
    DEFAULT_MAX_BATCH,
    Prediction,
    PredictResponse,
    predict_request_model,
)
from reference.microservice.ratelimit import RateLimit, TenantLimiter
from reference.platform.evaluation import DECISION_THRESHOLD
from reference.platform.prometheus import use_in_process_metrics
from reference.platform.schema import FeatureSchema

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


class GatewaySettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    tenants: list[TenantKey] = []
    limits: dict[str, RateLimit] = {}
    max_batch: int = Field(default=DEFAULT_MAX_BATCH, ge=1)
    max_body_bytes: int = Field(default=1_000_000, ge=1)
    cache_ttl_s: float = Field(default=300.0, gt=0)
    switches: Switches = Switches()


class FeatureLookup(Protocol):
    def lookup(self, applicant_ids: list[str]) -> dict[str, dict[str, Any] | None]:
        """Online features of each applicant; None for an applicant the store lacks."""
        ...


class Problem(Exception):
    """A refusal: its status and a body that names what is wrong."""

    def __init__(self, status: int, detail: object, headers: Mapping[str, str] | None = None):
        super().__init__(str(detail))
        self.status, self.detail, self.headers = status, detail, dict(headers or {})


class GatewayMetrics:
    def __init__(self) -> None:
        use_in_process_metrics()
        self.registry = CollectorRegistry()
        labels = ["route", "model", "version", "tenant", "status"]
        self.requests = Counter(
            "readiness_requests", "Requests answered", labels, registry=self.registry
        )
        self.latency = Histogram(
            "readiness_request_latency_seconds", "Request latency", labels[:-1],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
            registry=self.registry,
        )  # fmt: skip
        self.batch = Histogram(
            "readiness_batch_instances", "Instances per request", ["model"],
            buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256), registry=self.registry,
        )  # fmt: skip
        self.cache = Counter(
            "readiness_cache",
            "Prediction cache lookups",
            ["model", "result"],
            registry=self.registry,
        )


def create_app(
    schema: FeatureSchema,
    backend: InferenceBackend,
    settings: GatewaySettings,
    features: FeatureLookup | None = None,
) -> FastAPI:
    app = FastAPI(title="readiness microservice gateway", version="1")
    request_model = predict_request_model(schema, settings.max_batch)
    keys = KeyStore(settings.tenants)
    limiter = TenantLimiter(settings.limits)
    cache = PredictionCache(settings.cache_ttl_s) if settings.switches.cache else None
    metrics = GatewayMetrics()
    inputs = [c.name for c in schema.model_inputs]
    app.state.cache = cache
    app.state.metrics = metrics

    def identify(request: Request, model: str) -> Identity | None:
        if not settings.switches.auth:
            return None
        identity = keys.identify(request.headers.get(API_KEY_HEADER))
        if identity is None:
            raise Problem(401, "missing or unknown API key", {"WWW-Authenticate": "ApiKey"})
        if not identity.has(Role.PREDICT):
            raise Problem(403, f"tenant '{identity.tenant}' lacks the predict role")
        if not identity.may_call(model):
            raise Problem(403, f"tenant '{identity.tenant}' is not entitled to model '{model}'")
        return identity

    async def parse(request: Request) -> list[dict[str, Any]]:
        body = await request.body()
        if len(body) > settings.max_body_bytes:
            raise Problem(413, f"body of {len(body)} bytes exceeds {settings.max_body_bytes}")
        try:
            document = json.loads(body)
        except (ValueError, UnicodeDecodeError) as error:
            raise Problem(422, [{"loc": ["body"], "msg": f"not JSON: {error}"}]) from error
        if not settings.switches.validation:
            instances = document.get("instances") if isinstance(document, dict) else None
            if not isinstance(instances, list) or not all(isinstance(i, dict) for i in instances):
                raise Problem(422, [{"loc": ["body", "instances"], "msg": "a list of objects"}])
            return instances
        try:
            parsed = request_model.model_validate(document)
        except ValidationError as error:
            detail = [{"loc": ["body", *e["loc"]], "msg": e["msg"]} for e in error.errors()]
            raise Problem(422, detail) from error
        return [i.model_dump(exclude_none=True) for i in parsed.instances]  # type: ignore[attr-defined]

    def resolve(instances: list[dict[str, Any]]) -> list[dict[str, Any]]:
        wanted = [i[schema.entity] for i in instances if schema.entity in i]
        if not wanted:
            return instances
        if features is None:
            raise Problem(422, "this deployment has no feature store: send full feature rows")
        found = features.lookup(wanted)
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

    @app.exception_handler(Problem)
    async def refuse(_: Request, problem: Problem) -> JSONResponse:
        return JSONResponse({"detail": problem.detail}, problem.status, headers=problem.headers)

    @app.post(
        "/v1/models/{model}/predict",
        response_model=PredictResponse,
        openapi_extra={"requestBody": {"content": {"application/json": {
            "schema": request_model.model_json_schema()}}, "required": True}},
    )  # fmt: skip
    async def predict(model: str, request: Request) -> Response:
        started, tenant, version, status = time.perf_counter(), ANONYMOUS, "", 500
        try:
            identity = identify(request, model)
            tenant = identity.tenant if identity else ANONYMOUS
            served = backend.served(model)
            if served is None:
                raise Problem(404, f"model '{model}' is not served")
            version = served.version
            instances = await parse(request)
            if settings.switches.rate_limit:
                decision = limiter.take(tenant, len(instances))
                if not decision.allowed:
                    raise Problem(429, f"{decision.reason} for tenant '{tenant}'",
                                  {"Retry-After": decision.retry_after_header})  # fmt: skip
            rows = resolve(instances)
            probabilities = await infer(model, served, rows)
            status = 200
            metrics.batch.labels(model).observe(len(rows))
            answer = PredictResponse(
                request_id=str(uuid.uuid4()),
                predictions=[
                    Prediction(
                        probability=p, label=int(p >= DECISION_THRESHOLD), model=model, version=v
                    )
                    for v, p in probabilities
                ],
            )
            return JSONResponse(answer.model_dump())
        except Problem as problem:
            status = problem.status
            raise
        finally:
            if settings.switches.metrics:
                metrics.requests.labels("predict", model, version, tenant, str(status)).inc()
                metrics.latency.labels("predict", model, version, tenant).observe(
                    time.perf_counter() - started
                )

    async def infer(
        model: str, served: ServedVersion, rows: list[dict[str, Any]]
    ) -> list[tuple[str, float]]:
        """Cached answers of the version the request was admitted for; the rest inferred."""
        results: list[tuple[str, float] | None] = [None] * len(rows)
        misses: list[int] = []
        for index, row in enumerate(rows):
            key = {name: row.get(name) for name in inputs}
            hit = cache.get(model, served.version, key) if cache else None
            if cache is not None:
                metrics.cache.labels(model, "hit" if hit is not None else "miss").inc()
            if hit is not None:
                results[index] = (served.version, hit)
            else:
                misses.append(index)
        if misses:
            frame = pd.DataFrame([rows[i] for i in misses])
            for name in inputs:
                if name not in frame:
                    frame[name] = None
            numeric, categorical = schema.encode(frame)
            answered, probabilities = await backend.predict(model, numeric, categorical)
            for index, probability in zip(misses, probabilities, strict=True):
                value = float(probability)
                results[index] = (answered.version, value)
                if cache is not None:
                    key = {name: rows[index].get(name) for name in inputs}
                    cache.put(model, answered.version, key, value)
        return [r for r in results if r is not None]

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
        if not settings.switches.metrics:
            return PlainTextResponse("metrics are switched off\n", 404)
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return app
