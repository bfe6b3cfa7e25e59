"""The fleet's cloud API: `python -m reference.edge.fleet CONFIG.yaml`.

It stands in for two things a real fleet has. Toward the devices, the callers on each device
(a point of sale, a branch's terminal): a prediction request is handed to one device, by
the `x-device` header when given, else in turn (passing over a device that is down, as a
site's callers fail over to a neighbouring device), and answered by the device itself, so
a scenario's traffic reaches the fleet through one URL. Toward operators and monitors, the
cloud's routes: feedback (labels joined later to what the devices logged), the admin
routes the monitors act through (a rollback moves the champion alias; the releaser ships
it), the fleet's status, and every device's metrics re-exposed with a `device` label.
"""

import asyncio
import itertools
import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import httpx
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.parser import text_string_to_metric_families
from pydantic import BaseModel, ConfigDict, Field

from readiness.documents import load_document
from readiness.errors import InvalidConfiguration, Problem
from reference.platform.model.schema import load_schema
from reference.platform.serving.admin_routes import add_admin_routes
from reference.platform.serving.auth import ANONYMOUS, KeyStore, Role, TenantKey
from reference.platform.serving.instances import (
    DEFAULT_MAX_BATCH,
    openapi_body,
    predict_request_model,
)
from reference.platform.serving.problems import answer_problems, count_requests, read_body
from reference.platform.serving.ratelimit import RateLimit, TenantLimiter

if TYPE_CHECKING:
    from reference.platform.audit.prediction_log import PredictionLog

API_KEY_HEADER, DEVICE_HEADER = "x-api-key", "x-device"
MAX_BODY_BYTES = 1_000_000
DEVICE_TIMEOUT_S = 5.0
REQUEST_ID = r"^[A-Za-z0-9_.:-]{1,100}$"
RequestId = Annotated[str, Field(pattern=REQUEST_ID)]
OWN = CollectorRegistry()
"""The fleet API's own metrics, apart from the process collector: the devices' process
metrics are the ones re-exposed (with their `device` label), and one family name must not
appear twice in a scrape."""
REQUESTS = Counter("readiness_fleet_requests", "Requests to the fleet API by route and status.",
                   ["route", "status"], registry=OWN)  # fmt: skip
LATENCY = Histogram("readiness_fleet_request_duration_seconds", "Time to answer a request at the "
                    "fleet API (a device's answer included).", ["route"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
                    registry=OWN)  # fmt: skip
REPLICAS = Gauge("readiness_fleet_replicas", "Devices that answered the last scrape (the "
                 "fleet's serving replicas).", registry=OWN)  # fmt: skip
FAILOVERS = Counter("readiness_fleet_fallback", "Requests a neighbouring device answered because "
                    "the one in turn was down or had no model yet, by that device.",
                    ["device"], registry=OWN)  # fmt: skip
PASSED_ON, PASSED_BACK = ("content-type", "x-request-id"), ("x-model-version", "retry-after")


class FleetConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(ge=1, le=65535)
    model: str
    devices: dict[str, str] = Field(min_length=1)
    """Device id -> the device's base URL."""
    tenants: list[TenantKey] = []
    """Empty: no authentication (the prototype)."""
    audit_url: str | None = None
    tracking_uri: str | None = None
    limits: dict[str, RateLimit] = {}
    """Per-tenant token buckets, one token per instance (none: unlimited)."""


class FeedbackLabel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    request_id: str = Field(pattern=REQUEST_ID)
    position: int = Field(default=0, ge=0, le=100_000)
    label: int = Field(ge=0, le=1)


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    labels: list[FeedbackLabel] = Field(min_length=1, max_length=1000)


class ResultsQuery(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    request_ids: list[RequestId] = Field(min_length=1, max_length=1000)


class RequestResult(BaseModel):
    request_id: str
    predictions: int
    """Records of the request's answer the cloud holds (telemetry that arrived; more than
    one per instance would be a duplicate)."""
    actions: None = None
    """A device answers its caller at once and takes no later action."""
    completed_at: None = None


class Fleet:
    """The fleet API's routes, and what they share while it serves: the client it reaches
    the devices with, the prediction log, and whose turn it is."""

    def __init__(self, config: FleetConfig) -> None:
        self.config = config
        self.keys = KeyStore(config.tenants) if config.tenants else None
        self.limiter = TenantLimiter(config.limits)
        self.names = sorted(config.devices)
        self.turn = itertools.cycle(self.names)
        self.request_model = predict_request_model(load_schema(), DEFAULT_MAX_BATCH)
        self.client: httpx.AsyncClient | None = None
        self.log: PredictionLog | None = None

    @asynccontextmanager
    async def serving(self, _: FastAPI) -> AsyncIterator[None]:
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=50)
        async with httpx.AsyncClient(timeout=DEVICE_TIMEOUT_S, limits=limits) as client:
            self.client = client
            if self.config.audit_url is not None:
                from reference.platform.audit.prediction_log import PredictionLog

                self.log = PredictionLog(self.config.audit_url)
            yield
            if self.log is not None:
                self.log.close()

    @property
    def devices(self) -> httpx.AsyncClient:
        assert self.client is not None, "the fleet API reaches devices only while it serves"
        return self.client

    def identify(self, request: Request, role: Role, model: str | None) -> str:
        if self.keys is None:
            return ANONYMOUS
        return self.keys.authorise(request.headers.get(API_KEY_HEADER), role, model).tenant

    def logged(self, missing: str) -> "PredictionLog":
        if self.log is None:
            raise Problem(404, missing)
        return self.log

    async def predict(self, model: str, request: Request) -> Response:
        """Answered by one device; its refusals (422, 503 before its first release) pass
        through as it gave them."""
        tenant = self.identify(request, Role.PREDICT, model)
        pinned = request.headers.get(DEVICE_HEADER)
        if pinned is not None and pinned not in self.config.devices:
            raise Problem(404, f"{DEVICE_HEADER}: no device '{pinned}' in this fleet")
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            raise Problem(413, f"body of {len(body)} bytes exceeds {MAX_BODY_BYTES}")
        decision = self.limiter.take(tenant, instances_in(body))
        if not decision.allowed:
            raise decision.problem(f"rate limit: {decision.reason or 'too many instances'}")
        forwarded = {k: v for k, v in request.headers.items() if k in PASSED_ON}
        candidates = [pinned] if pinned else _from(next(self.turn), self.names)
        return await self.answered_by(candidates, model, body, forwarded, pinned is not None)

    async def answered_by(
        self, candidates: list[str], model: str, body: bytes, forwarded: dict[str, str],
        pinned: bool,
    ) -> Response:  # fmt: skip
        """The first of `candidates` to answer: a device that is down, or (unless pinned)
        has no model yet, passes the request to its neighbour."""
        for device in candidates:
            try:
                answer = await self.devices.post(
                    f"{self.config.devices[device]}/v1/models/{model}/predict", content=body,
                    headers=forwarded,
                )  # fmt: skip
            except httpx.ConnectError:  # that device is down: its neighbour answers
                continue
            except httpx.HTTPError as error:
                raise Problem(502, f"device {device} failed: {type(error).__name__}") from error
            if answer.status_code == 503 and not pinned and device != candidates[-1]:
                continue  # no model yet (a device starting cold): its neighbour answers
            if device != candidates[0]:
                FAILOVERS.labels(candidates[0]).inc()
            headers = {k: v for k, v in answer.headers.items() if k in PASSED_BACK}
            return Response(answer.content, answer.status_code, {**headers, DEVICE_HEADER: device},
                            media_type="application/json")  # fmt: skip
        raise Problem(503, f"no device answered ({', '.join(candidates)})", {"Retry-After": "5"})

    async def feedback(self, request: Request) -> Response:
        self.identify(request, Role.PREDICT, None)
        log = self.logged("this fleet takes no feedback")
        body = await read_body(request, FeedbackRequest, MAX_BODY_BYTES)
        rows = [(label.request_id, label.position, label.label) for label in body.labels]
        await asyncio.to_thread(log.record_feedback, rows)
        return JSONResponse({"accepted": len(rows)})

    async def results(self, request: Request) -> Response:
        """Which answered requests the cloud has heard of: the store-and-forward check."""
        self.identify(request, Role.PREDICT, None)
        log = self.logged("this fleet has no results route")
        body = await read_body(request, ResultsQuery, MAX_BODY_BYTES)
        logged = await asyncio.to_thread(log.logged_per_request, body.request_ids)
        found = [RequestResult(request_id=i, predictions=logged.get(i, 0)).model_dump()
                 for i in body.request_ids]  # fmt: skip
        return JSONResponse({"results": found})

    async def fleet(self) -> dict[str, Any]:
        return {"devices": await _statuses(self.devices, self.config.devices)}

    async def health(self) -> Response:
        """Healthy while every device answers with a model."""
        statuses = await _statuses(self.devices, self.config.devices)
        healthy = all(s.get("version") for s in statuses.values())
        return JSONResponse({"devices": statuses}, 200 if healthy else 503)

    async def ready(self) -> Response:
        statuses = await _statuses(self.devices, self.config.devices)
        ready = any(s.get("version") for s in statuses.values())
        return JSONResponse({"ready": ready}, 200 if ready else 503)

    async def metrics(self) -> Response:
        texts = await asyncio.gather(*(_get_text(self.devices, f"{url}/metrics")
                                       for url in self.config.devices.values()))  # fmt: skip
        answered = dict(zip(self.config.devices, texts, strict=True))
        REPLICAS.set(sum(text is not None for text in answered.values()))
        merged = federate(answered) + generate_latest(OWN).decode()
        return PlainTextResponse(merged, media_type="text/plain; version=0.0.4")


def create_app(config: FleetConfig) -> FastAPI:
    fleet = Fleet(config)
    app = FastAPI(title="readiness edge fleet", version="1", lifespan=fleet.serving)
    count_requests(app, REQUESTS, LATENCY)
    answer_problems(app)
    app.add_api_route("/v1/models/{model}/predict", fleet.predict, methods=["POST"],
                      openapi_extra=openapi_body(fleet.request_model))  # fmt: skip
    app.add_api_route("/v1/feedback", fleet.feedback, methods=["POST"])
    app.add_api_route("/v1/results", fleet.results, methods=["POST"])
    app.add_api_route("/v1/fleet", fleet.fleet, methods=["GET"])
    app.add_api_route("/healthz", fleet.health, methods=["GET"])
    app.add_api_route("/readyz", fleet.ready, methods=["GET"])
    app.add_api_route("/metrics", fleet.metrics, methods=["GET"])
    add_admin_routes(app, fleet.identify, config.model, config.tracking_uri, lambda: fleet.log,
                     "on this fleet")  # fmt: skip
    return app


def instances_in(body: bytes) -> int:
    """The instances a body carries (its rate-limit cost); 1 for what the device will refuse."""
    try:
        found = json.loads(body)
    except (ValueError, RecursionError):  # the device refuses it, naming the problem
        return 1
    instances = found.get("instances") if isinstance(found, dict) else None
    return max(len(instances), 1) if isinstance(instances, list) else 1


def _from(first: str, names: list[str]) -> list[str]:
    """Every device, starting with `first` and going round."""
    start = names.index(first)
    return names[start:] + names[:start]


async def _get_text(client: httpx.AsyncClient, url: str) -> str | None:
    try:
        answer = await client.get(url, timeout=2.0)
    except httpx.HTTPError:
        return None
    return answer.text if answer.status_code == 200 else None


async def _statuses(client: httpx.AsyncClient, devices: dict[str, str]) -> dict[str, Any]:
    async def one(url: str) -> dict[str, Any]:
        try:
            answer = await client.get(f"{url}/v1/device", timeout=2.0)
            return (
                dict(answer.json()) if answer.status_code == 200 else {"error": answer.status_code}
            )
        except (httpx.HTTPError, ValueError) as error:
            return {"error": type(error).__name__}

    found = await asyncio.gather(*(one(url) for url in devices.values()))
    return dict(zip(devices, found, strict=True))


def federate(texts: dict[str, str | None]) -> str:
    """Every device's samples under one family each, with a `device` label; a device that
    did not answer is left out (and `readiness_edge_device_up` says so)."""
    families: dict[str, tuple[str, str, list[str]]] = {}
    up = ["# HELP readiness_edge_device_up 1 when the device answered this scrape.",
          "# TYPE readiness_edge_device_up gauge"]  # fmt: skip
    for device, text in texts.items():
        up.append(f'readiness_edge_device_up{{device="{device}"}} {0 if text is None else 1}')
        if text is None:
            continue
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                name, kind = _exposed(family.name, family.type, sample.name)
                entry = families.setdefault(name, (family.documentation, kind, []))
                labels = {**sample.labels, "device": device}
                rendered = ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items())
                entry[2].append(f"{sample.name}{{{rendered}}} {sample.value}")
    lines = list(up)
    for name, (documentation, kind, samples) in families.items():
        lines += [f"# HELP {name} {documentation}", f"# TYPE {name} {kind}", *samples]
    return "\n".join(lines) + "\n"


def _exposed(family: str, kind: str, sample: str) -> tuple[str, str]:
    """The family (name, type) a sample is exposed under in the text format: a counter as
    `X_total` (with its `X_created` apart, a gauge), as prometheus_client writes them."""
    if kind == "counter":
        return sample, "gauge" if sample.endswith("_created") else "counter"
    return family, "untyped" if kind == "unknown" else kind


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def main(argv: list[str]) -> int:
    import socket

    import uvicorn

    if len(argv) != 2:
        sys.stderr.write("usage: python -m reference.edge.fleet CONFIG.yaml\n")
        return 2
    config = load_document(Path(argv[1]), FleetConfig, InvalidConfiguration, "fleet config")
    listener = socket.create_server((config.host, config.port))
    uvicorn.Server(uvicorn.Config(create_app(config), log_level="warning")).run(sockets=[listener])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
