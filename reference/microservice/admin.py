"""Admin routes: promote, roll back, route (canary, shadow, pins), pause batch predictions,
deployment log, faults (of the replicas, or a degraded rollout and its undo).

Only tenants with the admin role reach them. Every change goes through `ModelControl`,
which keeps the registry, the router, the cache and the deployment log in step; the
admin's tenant is recorded as the actor. A deployment without a control plane (the
prototype) or with the admin switch off has no admin routes to call: they answer 404.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from readiness.errors import FaultUnsupported, Problem
from reference.microservice.control import (
    BatchPauseRequest,
    ModelControl,
    PromoteRequest,
)
from reference.microservice.degraded import FaultAnswer, restore, roll_out_degraded
from reference.microservice.faults import ROLLOUT_FAULTS, Fault, FaultRequest
from reference.microservice.routing import RoutingUpdate
from reference.platform.serving.admin_routes import RollbackRequest
from reference.platform.serving.auth import Identity, Role
from reference.platform.serving.problems import read_body

if TYPE_CHECKING:
    from reference.microservice.gateway import Serving
    from reference.microservice.settings import GatewaySettings

Identify = Callable[[Request, Role, str | None], Identity | None]
ADMIN = "/v1/admin/models/{model}"


def add_admin_routes(
    app: FastAPI,
    serving: "Serving",
    settings: "GatewaySettings",
    identify: Identify,
) -> None:
    def control(request: Request, model: str) -> tuple[ModelControl, str]:
        if serving.control is None or not settings.switches.admin:
            raise Problem(404, "this deployment has no admin routes")
        identity = identify(request, Role.ADMIN, None)
        if serving.router.table(model) is None:
            raise Problem(404, f"model '{model}' is not served")
        return serving.control, identity.tenant if identity else "anonymous"

    def answer(value: Any) -> Response:
        return JSONResponse(value.model_dump(mode="json"))

    @app.post(f"{ADMIN}/promote")
    async def promote(model: str, request: Request) -> Response:
        plane, actor = control(request, model)
        body = await read_body(request, PromoteRequest, settings.max_body_bytes)
        return answer(await plane.promote(actor, model, body))

    @app.post(f"{ADMIN}/rollback")
    async def rollback(model: str, request: Request) -> Response:
        plane, actor = control(request, model)
        body = await read_body(request, RollbackRequest, settings.max_body_bytes)
        return answer(await plane.rollback(actor, model, body))

    @app.put(f"{ADMIN}/routing")
    async def route(model: str, request: Request) -> Response:
        plane, actor = control(request, model)
        body = await read_body(request, RoutingUpdate, settings.max_body_bytes)
        return answer(await plane.route(actor, model, body))

    @app.get(f"{ADMIN}/routing")
    async def routing(model: str, request: Request) -> Response:
        plane, _ = control(request, model)
        table = serving.router.table(model)
        return JSONResponse({**vars(table), "loaded": sorted(serving.backend.loaded(model)),
                             "batch_paused": plane.batch_paused(model)})  # fmt: skip

    @app.put(f"{ADMIN}/batch")
    async def batch(model: str, request: Request) -> Response:
        plane, actor = control(request, model)
        body = await read_body(request, BatchPauseRequest, settings.max_body_bytes)
        return answer(await plane.pause_batch(actor, model, body))

    @app.get(f"{ADMIN}/deployments")
    async def deployments(model: str, request: Request, limit: int = 100) -> Response:
        plane, _ = control(request, model)
        events = plane.log.deployments(model, max(1, min(limit, 1000)))
        return JSONResponse([e.model_dump(mode="json") for e in events])

    @app.get(f"{ADMIN}/shadow")
    async def shadow(model: str, request: Request, limit: int = 100) -> Response:
        plane, _ = control(request, model)
        found = plane.log.shadow_comparisons(model, max(1, min(limit, 1000)))
        return JSONResponse([c.model_dump(mode="json") for c in found])

    @app.post(f"{ADMIN}/faults")
    async def fault(model: str, request: Request) -> Response:
        plane, actor = control(request, model)
        body = await read_body(request, FaultRequest, settings.max_body_bytes)
        if body.fault in ROLLOUT_FAULTS:
            if not serving.backend.faults_enabled():
                raise FaultUnsupported("fault hooks are disabled for this deployment")
            act = roll_out_degraded if body.fault is Fault.BAD_ROLLOUT else restore
            answered = await act(plane, actor, model)
        else:
            answered = FaultAnswer(done=await serving.backend.inject(model, body), version=None)
        if serving.log is not None:
            serving.log.log_deployment(actor, model, "fault", None, answered.version, answered.done)
        return JSONResponse(answered.model_dump(mode="json", exclude_none=True))
