"""The serving control plane: promote, roll back and route model versions while serving.

Every change follows the same order: check the rules (approval, a previous champion to go
back to), fetch the artifact and verify its sha256, start its replicas, and only then move
the registry alias and the router, drop the model's cached answers and write the
deployment log. A refused or failed change therefore leaves the service answering as
before. Versions that no route uses any more are stopped after a grace period, so that
requests already admitted for them still finish.
"""

import asyncio
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from readiness.errors import PromotionRefused
from reference.microservice.backends import InferenceBackend
from reference.microservice.cache import PredictionCache
from reference.microservice.routing import ModelRoutes, Router, RoutingUpdate
from reference.platform.audit.prediction_log import DeploymentEvent, PredictionLog
from reference.platform.model.artifacts import fetch_version
from reference.platform.model.registry import ModelRegistry
from reference.platform.serving.admin_routes import RollbackRequest

RETIRE_AFTER_S = 15.0


class PromoteRequest(BaseModel):
    """The body of `POST /v1/admin/models/{model}/promote`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str = Field(pattern=r"^[0-9]{1,9}$")
    reason: str = Field(min_length=1, max_length=500)


class BatchPauseRequest(BaseModel):
    """The body of `PUT /v1/admin/models/{model}/batch`: pause or resume batch predictions
    (requests of more than one instance), as the high-severity alerts do."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    paused: bool
    reason: str = Field(min_length=1, max_length=500)


class ModelControl:
    def __init__(
        self,
        registry: ModelRegistry,
        backend: InferenceBackend,
        router: Router,
        log: PredictionLog,
        artifacts: Path,
        cache: PredictionCache | None = None,
        retire_after_s: float = RETIRE_AFTER_S,
        served_hashes: dict[tuple[str, str], str] | None = None,
    ) -> None:
        self.registry, self.backend, self.router, self.log = registry, backend, router, log
        self.served_hashes = served_hashes if served_hashes is not None else {}
        """(model, version) -> the verified sha256 of the artifact loaded, for the gateway's
        model-info metric."""
        self.artifacts, self.cache, self.retire_after_s = artifacts, cache, retire_after_s
        self._lock = asyncio.Lock()
        self._retiring: set[asyncio.Task[None]] = set()
        self._batch_paused: dict[str, str] = {}

    def batch_paused(self, model: str) -> str | None:
        """Why batch predictions of `model` are paused, or None."""
        return self._batch_paused.get(model)

    async def pause_batch(
        self, actor: str, model: str, request: BatchPauseRequest
    ) -> DeploymentEvent:
        async with self._lock:
            routes = self._routes(model)
            if request.paused:
                self._batch_paused[model] = request.reason
            else:
                self._batch_paused.pop(model, None)
            action = "pause-batch" if request.paused else "resume-batch"
            return await asyncio.to_thread(
                self.log.log_deployment, actor, model, action, routes.champion,
                routes.champion, request.reason,
            )  # fmt: skip

    async def promote(self, actor: str, model: str, request: PromoteRequest) -> DeploymentEvent:
        async with self._lock:
            routes = self._routes(model)
            found = await asyncio.to_thread(self.registry.describe, model, request.version)
            if found.approval is None:
                raise PromotionRefused(
                    f"{model} version {request.version} has no approval record (who, when, "
                    "why); approve it before promoting it"
                )
            await self._ensure_loaded(model, request.version)
            await asyncio.to_thread(self.registry.promote, model, request.version)
            return self._switch(actor, model, routes, request.version, "promote", request.reason)

    async def rollback(self, actor: str, model: str, request: RollbackRequest) -> DeploymentEvent:
        async with self._lock:
            routes = self._routes(model)
            previous = await asyncio.to_thread(self.registry.previous, model)
            if previous is None:
                raise PromotionRefused(f"{model} has no previous champion to roll back to")
            await self._ensure_loaded(model, previous.version)
            await asyncio.to_thread(self.registry.rollback, model)
            return self._switch(actor, model, routes, previous.version, "rollback", request.reason)

    async def route(self, actor: str, model: str, update: RoutingUpdate) -> DeploymentEvent:
        async with self._lock:
            routes = self._routes(model)
            allowed = {routes.champion} | ({update.challenger} if update.challenger else set())
            strays = {t: v for t, v in update.pins.items() if v not in allowed}
            if strays:
                raise PromotionRefused(
                    f"pins may name only the champion or the challenger; not {strays}"
                )
            answers = update.canary_weight > 0 or bool(update.pins)
            if update.challenger and answers:
                found = await asyncio.to_thread(self.registry.describe, model, update.challenger)
                if found.approval is None:
                    raise PromotionRefused(
                        f"{model} version {update.challenger} has no approval record; only an "
                        "approved version may answer clients (shadow mode needs none)"
                    )
            if update.challenger:
                await self._ensure_loaded(model, update.challenger)
            changed = routes.with_update(update)
            self.router.set(model, changed)
            self._retire_unrouted(model)
            detail = (
                f"challenger {changed.challenger}, canary weight {changed.canary_weight:g}, "
                f"shadow {'on' if changed.shadow else 'off'}, pins {changed.pins}"
            )
            return self.log.log_deployment(
                actor, model, "route", routes.challenger, changed.challenger, detail
            )

    def _routes(self, model: str) -> ModelRoutes:
        routes = self.router.table(model)
        if routes is None:
            raise LookupError(model)
        return routes

    async def _ensure_loaded(self, model: str, version: str) -> None:
        if version in self.backend.loaded(model):
            return
        artifact = await asyncio.to_thread(
            fetch_version, self.registry, model, version, self.artifacts
        )
        await self.backend.load(model, version, artifact.path)
        self.served_hashes[(model, version)] = artifact.sha256

    def _switch(
        self, actor: str, model: str, routes: ModelRoutes, version: str, action: str, reason: str
    ) -> DeploymentEvent:
        self.router.set(model, routes.with_champion(version))
        if self.cache is not None:
            self.cache.invalidate(model)
        self._retire_unrouted(model)
        return self.log.log_deployment(actor, model, action, routes.champion, version, reason)

    def _retire_unrouted(self, model: str) -> None:
        task = asyncio.get_running_loop().create_task(self._retire_later(model))
        self._retiring.add(task)
        task.add_done_callback(self._retiring.discard)

    async def _retire_later(self, model: str) -> None:
        await asyncio.sleep(self.retire_after_s)
        async with self._lock:
            routes = self.router.table(model)
            keep = routes.versions() if routes else set()
            for version in self.backend.loaded(model) - keep:
                await self.backend.unload(model, version)
