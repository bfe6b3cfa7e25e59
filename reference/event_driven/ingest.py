"""The pipeline's front door: an HTTP endpoint that turns each instance of a prediction
request into an event on the stream, and the deployment's health, feedback and metrics.

A request is accepted (202) only once JetStream has acknowledged every one of its events,
so an accepted request is never lost. Each event's id is the request's id and its position;
a client that retries with the same `Idempotency-Key` header gets the same ids, and the
broker drops the copies. Invalid bodies are refused (422 naming the field) before anything
is published; with API keys configured, an unknown key is 401 and a tenant not entitled to
the model 403, as at the microservice's gateway.

The answer comes later, on the stream; `POST /v1/results` says what became of accepted
requests (predictions logged, actions taken, when), which is how a client, or the harness
counting lost and duplicated results, follows them up. Without JetStream (the prototype),
events are published on core NATS, fire and forget, and the stages run in this process.
"""

import asyncio
import contextlib
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import nats
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from nats.aio.client import Client
from nats.js.client import JetStreamContext
from pydantic import BaseModel, ConfigDict, Field

from readiness.errors import Problem
from reference.event_driven.messages import EVENT_ID, ApplicationEvent
from reference.event_driven.metrics import INGEST_LATENCY, INGEST_REQUESTS
from reference.event_driven.stage import DEDUP_HEADER
from reference.event_driven.streams import ALL, EVENTS
from reference.platform.model.schema import FeatureSchema
from reference.platform.serving.admin_routes import add_admin_routes
from reference.platform.serving.auth import ANONYMOUS, KeyStore, Role, TenantKey
from reference.platform.serving.instances import (
    DEFAULT_MAX_BATCH,
    openapi_body,
    predict_request_model,
)
from reference.platform.serving.problems import (
    answer_problems,
    count_requests,
    read_body,
    refused_instances,
)
from reference.platform.serving.ratelimit import RateLimit, TenantLimiter

if TYPE_CHECKING:
    from reference.event_driven.action import ActionStore
    from reference.platform.audit.prediction_log import PredictionLog
    from reference.platform.monitoring.recorder import SketchRecorder

API_KEY_HEADER = "x-api-key"
IDEMPOTENCY_HEADER = "idempotency-key"
MAX_BODY_BYTES = 1_000_000
PUBLISH_TIMEOUT_S = 5.0


class IngestSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    broker_url: str
    model: str
    tenants: list[TenantKey] = []
    """Empty: no authentication (the prototype)."""
    max_batch: int = Field(default=DEFAULT_MAX_BATCH, ge=1)
    audit_url: str | None = None
    """Where feedback goes (the prediction log); None: no feedback route."""
    tracking_uri: str | None = None
    """The registry the admin routes move the champion in; None: no admin routes."""
    durables: list[str] = ["enrich", "infer", "sink", "action"]
    limits: dict[str, RateLimit] = {}
    """Per-tenant token buckets, one token per event (none: unlimited)."""
    actions_db: Path | None = None
    """The action service's store, for the results route; None: no results route."""
    jetstream: bool = True
    """False (the prototype): core NATS publishing, no broker acknowledgement."""
    monitor_cache: Path | None = None
    """Where the references of the monitors are cached: with one (and a registry and an
    audit store), instances the ingest refuses are recorded for the data-quality monitor,
    as the microservice's gateway records them; None: not recorded (the prototype)."""


class Accepted(BaseModel):
    request_id: str
    events: list[str]
    status: Literal["accepted"] = "accepted"


class BatchPause(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    paused: bool
    reason: str = Field(min_length=1, max_length=500)


class ResultsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    request_ids: list[Annotated[str, Field(pattern=EVENT_ID)]] = Field(
        min_length=1, max_length=1000
    )


class RequestResult(BaseModel):
    request_id: str
    predictions: int
    """Prediction rows logged for the request (one per event; more would be duplicates)."""
    actions: int
    completed_at: float | None
    """When its last action was taken (seconds since the epoch); None while none is."""


class Results(BaseModel):
    results: list[RequestResult]


class FeedbackLabel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    request_id: str = Field(pattern=EVENT_ID)
    position: int = Field(default=0, ge=0, le=100_000)
    label: Literal[0, 1]


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    labels: list[FeedbackLabel] = Field(min_length=1, max_length=1000)


def _request_id(request: Request) -> str:
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        return str(uuid.uuid4())
    if not re.fullmatch(r"[A-Za-z0-9_.:-]{1,100}", key):
        raise Problem(422, f"{IDEMPOTENCY_HEADER}: 1 to 100 of letters, digits and _.:-")
    return key


def event_ids(request_id: str, count: int) -> list[str]:
    return [request_id] if count == 1 else [f"{request_id}.{i}" for i in range(count)]


Alongside = Callable[[Client], AbstractAsyncContextManager[None]]
"""Work that runs in the ingest process for as long as it serves (the prototype's stages)."""


class Ingest:
    """The ingest's routes and what they hold while it serves (the broker connection, the
    prediction log, the action store, the refusals recorder, the batch pause)."""

    def __init__(
        self, schema: FeatureSchema, settings: IngestSettings, alongside: Alongside | None
    ) -> None:
        self.schema, self.settings, self.alongside = schema, settings, alongside
        self.keys = KeyStore(settings.tenants) if settings.tenants else None
        self.limiter = TenantLimiter(settings.limits)
        self.request_model = predict_request_model(schema, settings.max_batch)
        self.client: Client | None = None
        self.js: JetStreamContext | None = None
        self.log: PredictionLog | None = None
        self.actions: ActionStore | None = None
        self.recorder: SketchRecorder | None = None
        self.batch_paused: str | None = None
        self.champion: tuple[float, str | None] = (0.0, None)
        """When the champion's version was read, and the version."""

    # ---------------------------------------------------------------- while serving

    @asynccontextmanager
    async def serving(self, _: FastAPI) -> AsyncIterator[None]:
        """Connects to the broker and opens the stores for as long as the app serves."""
        settings = self.settings
        self.client = await nats.connect(
            settings.broker_url, max_reconnect_attempts=-1, reconnect_time_wait=0.25,
            name="readiness-ingest",
        )  # fmt: skip
        self.js = self.client.jetstream()
        if settings.audit_url is not None:
            from reference.platform.audit.prediction_log import PredictionLog

            self.log = PredictionLog(settings.audit_url)
        if settings.actions_db is not None:
            from reference.event_driven.action import ActionStore

            self.actions = ActionStore(settings.actions_db)
        stop = asyncio.Event()
        self.recorder = recorder = _refusals_recorder(settings)
        recording = asyncio.create_task(recorder.run(stop)) if recorder is not None else None
        metering = asyncio.create_task(_meter_cpu())
        async with contextlib.AsyncExitStack() as running:
            if self.alongside is not None:
                await running.enter_async_context(self.alongside(self.client))
            yield
        metering.cancel()
        stop.set()
        if recording is not None:
            await recording
        if self.log is not None:
            self.log.close()
        if self.actions is not None:
            self.actions.close()
        with contextlib.suppress(Exception):
            await self.client.close()

    @property
    def connected(self) -> Client:
        assert self.client is not None, "the ingest serves only while connected"
        return self.client

    @property
    def stream(self) -> JetStreamContext:
        assert self.js is not None, "the ingest serves only while connected"
        return self.js

    def identify(self, request: Request, role: Role, model: str | None) -> str:
        if self.keys is None:
            return ANONYMOUS
        return self.keys.authorise(request.headers.get(API_KEY_HEADER), role, model).tenant

    def served(self, model: str) -> None:
        if model != self.settings.model:
            raise Problem(404, f"no model '{model}' on this stream")

    # ---------------------------------------------------------------- predict

    async def ingest(self, model: str, request: Request) -> Response:
        tenant = self.identify(request, Role.PREDICT, model)
        self.served(model)
        try:
            body = await read_body(request, self.request_model, MAX_BODY_BYTES)
        except Problem as refused:
            await self.record_refusal(model, refused)
            raise
        instances = [i.model_dump(exclude_none=True) for i in body.instances]  # type: ignore[attr-defined]
        decision = self.limiter.take(tenant, len(instances))
        if not decision.allowed:
            raise decision.problem(f"rate limit: {decision.reason or 'too many events'}")
        if len(instances) > 1 and self.batch_paused:
            raise Problem(503, f"batch requests are paused: {self.batch_paused}",
                          {"Retry-After": "30"})  # fmt: skip
        request_id = _request_id(request)
        events = self.events_of(request_id, instances)
        if self.settings.jetstream:
            await _publish(self.stream, events)
        else:
            await _publish_core(self.connected, events)
        accepted = Accepted(request_id=request_id, events=[e.event_id for e in events])
        return JSONResponse(accepted.model_dump(), 202)

    def events_of(self, request_id: str, instances: list[dict[str, Any]]) -> list[ApplicationEvent]:
        """One event per instance: its features, or the applicant id the enrich stage
        looks its features up by."""
        now, events = time.time(), []
        ids = event_ids(request_id, len(instances))
        for position, (event_id, instance) in enumerate(zip(ids, instances, strict=True)):
            applicant = instance.pop(self.schema.entity, None)
            events.append(ApplicationEvent(
                event_id=event_id, event_time=now, request_id=request_id, position=position,
                applicant_id=applicant if applicant and not instance else None,
                features=instance if instance else None,
            ))  # fmt: skip
        return events

    async def record_refusal(self, model: str, refused: Problem) -> None:
        """What validation refused is evidence of data quality: recorded against the version
        the stream serves now (the champion), for the monitors."""
        recorder = self.recorder
        if recorder is None or refused.status != 422 or not refused.errors:
            return
        version = await asyncio.to_thread(self.champion_version)
        if version is not None and await asyncio.to_thread(recorder.prepare, model, version):
            recorder.refuse(model, version, refused.errors, refused_instances(refused))

    def champion_version(self) -> str | None:
        """The champion's version, read at most every CHAMPION_TTL_S."""
        read_at, version = self.champion
        if time.monotonic() - read_at < CHAMPION_TTL_S:
            return version
        from reference.platform.model.registry import ModelRegistry

        assert self.settings.tracking_uri is not None
        try:
            found = ModelRegistry(self.settings.tracking_uri).champion(self.settings.model)
        except Exception:  # the registry away: record nothing this time
            return None
        version = found.version if found is not None else None
        self.champion = (time.monotonic(), version)
        return version

    # ---------------------------------------------------------------- follow-up

    async def feedback(self, request: Request) -> Response:
        self.identify(request, Role.PREDICT, None)
        if self.log is None:
            raise Problem(404, "this deployment takes no feedback")
        body = await read_body(request, FeedbackRequest, MAX_BODY_BYTES)
        rows = [(label.request_id, label.position, label.label) for label in body.labels]
        await asyncio.to_thread(self.log.record_feedback, rows)
        return JSONResponse({"accepted": len(rows)})

    async def results(self, request: Request) -> Response:
        """What became of accepted requests: prediction rows and actions per request id."""
        self.identify(request, Role.PREDICT, None)
        log, actions = self.log, self.actions
        if log is None or actions is None:
            raise Problem(404, "this deployment has no results route")
        body = await read_body(request, ResultsQuery, MAX_BODY_BYTES)
        logged = await asyncio.to_thread(log.logged_per_request, body.request_ids)
        taken = await asyncio.to_thread(actions.by_request, body.request_ids)
        found = [
            RequestResult(request_id=request_id, predictions=logged.get(request_id, 0),
                          actions=taken.get(request_id, (0, 0.0))[0],
                          completed_at=taken[request_id][1] if request_id in taken else None)
            for request_id in body.request_ids
        ]  # fmt: skip
        return JSONResponse(Results(results=found).model_dump())

    async def pause_batch(self, model: str, request: Request) -> Response:
        """Pause (or resume) requests of more than one instance, as the data-quality alert
        asks: single events still flow."""
        self.identify(request, Role.ADMIN, None)
        self.served(model)
        body = await read_body(request, BatchPause, MAX_BODY_BYTES)
        self.batch_paused = body.reason if body.paused else None
        return JSONResponse({"paused": body.paused})

    # ---------------------------------------------------------------- probes of the system

    async def health(self) -> Response:
        connected = self.connected.is_connected
        return JSONResponse({"broker": "connected" if connected else "down"},
                            200 if connected else 503)  # fmt: skip

    async def ready(self) -> Response:
        if not self.settings.jetstream:
            return await self.health()
        try:
            for spec in ALL:
                await self.stream.stream_info(spec.name)
        except Exception as problem:
            return JSONResponse({"ready": False, "detail": str(problem)}, 503)
        return JSONResponse({"ready": True})

    async def metrics(self) -> Response:
        from reference.event_driven.exposition import exposition

        js = self.stream if self.settings.jetstream else None
        text = await exposition(js, self.settings.durables)
        return PlainTextResponse(text, media_type="text/plain; version=0.0.4")


def create_app(
    schema: FeatureSchema, settings: IngestSettings, alongside: Alongside | None = None
) -> FastAPI:
    ingest = Ingest(schema, settings, alongside)
    app = FastAPI(title="readiness event-driven ingest", version="1", lifespan=ingest.serving)
    count_requests(app, INGEST_REQUESTS, INGEST_LATENCY)
    answer_problems(app)
    app.add_api_route("/v1/models/{model}/predict", ingest.ingest, methods=["POST"],
                      status_code=202, response_model=Accepted,
                      openapi_extra=openapi_body(ingest.request_model))  # fmt: skip
    app.add_api_route("/v1/feedback", ingest.feedback, methods=["POST"])
    app.add_api_route("/v1/results", ingest.results, methods=["POST"], response_model=Results)
    add_admin_routes(app, ingest.identify, settings.model, settings.tracking_uri,
                     lambda: ingest.log, "on this stream")  # fmt: skip
    app.add_api_route("/v1/admin/models/{model}/batch", ingest.pause_batch, methods=["PUT"])
    app.add_api_route("/healthz", ingest.health, methods=["GET"])
    app.add_api_route("/readyz", ingest.ready, methods=["GET"])
    app.add_api_route("/metrics", ingest.metrics, methods=["GET"])
    return app


async def _publish(js: JetStreamContext, events: list[ApplicationEvent]) -> None:
    """Publish every event and wait for the broker's acks; 503 when it does not answer, so
    the client retries (with its idempotency key nothing is published twice)."""
    try:
        await asyncio.wait_for(asyncio.gather(*(
            js.publish(EVENTS.subjects[0], event.model_dump_json().encode(),
                       headers={DEDUP_HEADER: event.event_id})
            for event in events
        )), PUBLISH_TIMEOUT_S)  # fmt: skip
    except Exception as problem:
        raise Problem(503, f"the stream did not accept the events: {problem}",
                      {"Retry-After": "1"}) from problem  # fmt: skip


async def _publish_core(client: Client, events: list[ApplicationEvent]) -> None:
    """The prototype's publish: core NATS, no acknowledgement; what no subscriber is
    listening for at that moment is gone."""
    try:
        for event in events:
            await client.publish(EVENTS.subjects[0], event.model_dump_json().encode())
        await client.flush(timeout=int(PUBLISH_TIMEOUT_S))
    except Exception as problem:
        raise Problem(503, f"the broker did not take the events: {problem}",
                      {"Retry-After": "1"}) from problem  # fmt: skip


async def _meter_cpu() -> None:
    """This process's CPU seconds on the metrics, once a second."""
    from reference.event_driven.metrics import CpuMeter

    meter = CpuMeter("ingest")
    while True:
        await asyncio.sleep(1.0)
        meter.tick()


CHAMPION_TTL_S = 2.0
"""How long the ingest trusts the champion's version it read (the inference stage reads the
alias as often)."""


def _refusals_recorder(settings: IngestSettings) -> "SketchRecorder | None":
    if settings.monitor_cache is None or not settings.tracking_uri or not settings.audit_url:
        return None
    from reference.platform.monitoring.recorder import registry_recorder

    return registry_recorder(settings.tracking_uri, settings.audit_url, settings.monitor_cache,
                             "ingest")  # fmt: skip
