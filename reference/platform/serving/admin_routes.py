"""The admin routes a deployment without a canary offers (the event-driven ingest, the edge
fleet's cloud API): what answers, a rollback of the champion alias, the deployment log.

The monitors act through these (`alerting.actions.HttpModelAdmin`), the same routes the
microservice's gateway offers, so one monitor service watches any architecture. What the
alias names is what the deployment serves: its inference stage or its devices follow it.
"""

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from readiness.errors import PolicyViolation, Problem
from reference.platform.serving.auth import Role
from reference.platform.serving.problems import read_body

if TYPE_CHECKING:
    from reference.platform.audit.prediction_log import PredictionLog
    from reference.platform.model.registry import ModelRegistry

MAX_BODY_BYTES = 100_000
Identify = Callable[[Request, Role, str | None], str]


class RollbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    reason: str = Field(min_length=1, max_length=500)


def add_admin_routes(
    app: FastAPI,
    identify: Identify,
    model_name: str,
    tracking_uri: str | None,
    prediction_log: Callable[[], "PredictionLog | None"],
    where: str,
) -> None:
    """`where` names the deployment in refusals ("on this stream", "on this fleet")."""

    def registry() -> "ModelRegistry":
        if tracking_uri is None:
            raise Problem(404, "this deployment has no admin routes")
        from reference.platform.model.registry import ModelRegistry

        return ModelRegistry(tracking_uri)

    def known(model: str) -> None:
        if model != model_name:
            raise Problem(404, f"no model '{model}' {where}")

    @app.get("/v1/admin/models/{model}/routing")
    async def routing(model: str, request: Request) -> Response:
        """What answers: no canary, only the champion (the monitors' rollback reads this the
        same way as the gateway's)."""
        identify(request, Role.ADMIN, None)
        known(model)
        champion = await asyncio.to_thread(registry().champion, model)
        return JSONResponse({"champion": champion.version if champion else None,
                             "challenger": None})  # fmt: skip

    @app.put("/v1/admin/models/{model}/routing")
    async def reset_routing(model: str, request: Request) -> Response:
        identify(request, Role.ADMIN, None)
        known(model)
        return JSONResponse({"champion_only": True})

    @app.post("/v1/admin/models/{model}/rollback")
    async def rollback(model: str, request: Request) -> Response:
        """Move the champion alias back to `previous`; what serves follows it. Logged in the
        deployment log by the caller's tenant."""
        tenant = identify(request, Role.ADMIN, None)
        known(model)
        body = await read_body(request, RollbackRequest, MAX_BODY_BYTES)
        found = registry()
        before = await asyncio.to_thread(found.champion, model)
        try:
            after = await asyncio.to_thread(found.rollback, model)
        except PolicyViolation as refused:
            raise Problem(409, str(refused)) from refused
        log = prediction_log()
        if log is not None:
            await asyncio.to_thread(log.log_deployment, tenant, model, "rollback",
                                    before.version if before else None, after.version,
                                    body.reason)  # fmt: skip
        return JSONResponse({"from_version": before.version if before else None,
                             "to_version": after.version})  # fmt: skip

    @app.get("/v1/admin/models/{model}/deployments")
    async def deployments(model: str, request: Request, limit: int = 100) -> Response:
        """The deployment log of the model: promotions and rollbacks, newest first."""
        identify(request, Role.ADMIN, None)
        known(model)
        log = prediction_log()
        if log is None:
            raise Problem(404, "this deployment keeps no deployment log")
        events = await asyncio.to_thread(log.deployments, model, max(1, min(limit, 1000)))
        return JSONResponse([event.model_dump(mode="json") for event in events])
