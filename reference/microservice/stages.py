"""The gateway's request stages, in the order a prediction meets them: identify the caller,
admit it past its rate limit, read and validate its instances, refuse a batch while batches
are paused, resolve applicant ids to features, route to a version, infer (cache first),
mirror to a shadow, and count it all. Each is a small object built once per app from the
settings and the switches, so each can be tested alone; `gateway.Gateway`'s handlers run
them and `gateway.create_app` mounts the handlers as routes.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt
from fastapi.responses import Response
from pydantic import BaseModel

from readiness.errors import (
    FaultUnsupported,
    IntegrityFailed,
    InvalidInput,
    OperationFailed,
    PolicyViolation,
    Problem,
)
from reference.microservice.backends import Predictor
from reference.microservice.cache import PredictionCache
from reference.microservice.metrics import GatewayMetrics
from reference.microservice.routing import Router
from reference.platform.audit.prediction_log import PredictionLog
from reference.platform.model.schema import FeatureSchema, RecordEncoder
from reference.platform.serving.auth import ANONYMOUS, Identity, KeyStore, Role
from reference.platform.serving.problems import refused_instances, validated
from reference.platform.serving.ratelimit import TenantLimiter

Labels = dict[str, str]
"""A request's metric labels (`tenant`, `version`), filled in by the stages as they learn."""


class Refusals(Protocol):
    """Where refused instances go as evidence of data quality (`SketchRecorder` is one)."""

    def refuse(
        self, model: str, version: str, errors: Iterable[Mapping[str, Any]], instances: int
    ) -> None: ...


class Pauses(Protocol):
    """Who knows that batches are paused (`control.ModelControl` is one)."""

    def batch_paused(self, model: str) -> str | None: ...


def error_status(error: OperationFailed | PolicyViolation | InvalidInput) -> int:
    """Refused by a rule or an integrity check: 409; a name that is not there: 404; our
    own or a dependency's failure: 503 (never a 500 with a stack trace)."""
    if isinstance(error, PolicyViolation | IntegrityFailed | FaultUnsupported):
        return 409
    if isinstance(error, InvalidInput):
        return 404
    return 503


@dataclass(frozen=True)
class Identification:
    """Who calls, with which role, for which model; nobody in particular with auth off."""

    keys: KeyStore
    enabled: bool = True

    def identify(self, presented: str | None, role: Role, model: str | None) -> Identity | None:
        if not self.enabled:
            return None
        return self.keys.authorise(presented, role, model)

    def tenant(self, presented: str | None, role: Role, model: str | None) -> str:
        identity = self.identify(presented, role, model)
        return identity.tenant if identity else ANONYMOUS


@dataclass(frozen=True)
class Admission:
    """The tenant's token bucket and quota: a 429 with Retry-After when they are spent."""

    limiter: TenantLimiter
    enabled: bool = True

    def admit(self, tenant: str, instances: int, *, spend: bool = True) -> None:
        """Spend the tenant's tokens, or 429; `spend=False` refuses an empty bucket before
        the body is read, so a tenant over its limit costs the gateway almost nothing."""
        if not self.enabled:
            return
        decision = self.limiter.take(tenant, instances) if spend else self.limiter.check(tenant, 1)
        if not decision.allowed:
            raise decision.problem(f"{decision.reason} for tenant '{tenant}'")


@dataclass(frozen=True)
class Instances:
    """The instances of a body: validated against the schema's request model (a refusal is
    evidence of data quality for the monitors), or, with validation off, any objects."""

    validation: bool = True
    recorder: Refusals | None = None

    def parse(
        self, document: Any, body_model: type[BaseModel], model: str, version: str
    ) -> list[dict[str, Any]]:
        if not self.validation:
            instances = document.get("instances") if isinstance(document, dict) else None
            if not isinstance(instances, list) or not all(isinstance(i, dict) for i in instances):
                raise Problem(422, [{"loc": ["body", "instances"], "msg": "a list of objects"}])
            return instances
        try:
            parsed = validated(body_model, document)
        except Problem as refused:
            if self.recorder is not None:
                self.recorder.refuse(model, version, refused.errors, refused_instances(refused))
            raise
        return [i.model_dump(exclude_none=True) for i in parsed.instances]  # type: ignore[attr-defined]


@dataclass(frozen=True)
class BatchPause:
    """A high-severity alert pauses batch predictions; single ones still answer."""

    control: Pauses | None = None

    def refuse(self, model: str, instances: int) -> None:
        reason = self.control.batch_paused(model) if self.control is not None else None
        if reason is not None and instances > 1:
            raise Problem(503, f"batch predictions of '{model}' are paused: {reason}; send "
                               "one instance per request, or retry later",
                          {"Retry-After": "60"})  # fmt: skip


class FeatureLookup(Protocol):
    """What the resolver asks of a feature store (`features.online.OnlineFeatures`)."""

    def lookup(self, applicant_ids: list[str]) -> dict[str, dict[str, Any] | None]:
        """Online features of each applicant; None for an applicant the store lacks."""
        ...


@dataclass(frozen=True)
class FeatureResolution:
    """An instance that names an applicant becomes the applicant's stored features, with
    whatever else the instance sends on top; full rows pass as they are."""

    schema: FeatureSchema
    features: FeatureLookup | None = None

    def resolve(self, instances: list[dict[str, Any]]) -> list[dict[str, Any]]:
        entity = self.schema.entity
        wanted = [i[entity] for i in instances if entity in i]
        if not wanted:
            return instances
        if self.features is None:
            raise Problem(422, "this deployment has no feature store: send full feature rows")
        found = self.features.lookup(wanted)
        rows: list[dict[str, Any]] = []
        for index, instance in enumerate(instances):
            if entity not in instance:
                rows.append(instance)
                continue
            stored = found.get(instance[entity])
            if stored is None:
                where = ["body", "instances", index, entity]
                raise Problem(422, [{"loc": where, "msg": f"no features for {instance[entity]}"}])
            rows.append({**stored, **{k: v for k, v in instance.items() if k != entity}})
        return rows


@dataclass(frozen=True)
class Routing:
    """The version that answers this tenant, and the one that shadows it (or None)."""

    router: Router
    backend: Predictor

    def route(self, model: str, tenant: str) -> tuple[str, str | None]:
        chosen = self.router.route(model, tenant)
        if chosen is None or chosen.version not in self.backend.loaded(model):
            raise Problem(404, f"model '{model}' is not served")
        return chosen.version, chosen.shadow


@dataclass(frozen=True)
class Inference:
    """Cached answers of this version where there are some; the rest from the backend, in
    one call, and cached."""

    backend: Predictor
    metrics: GatewayMetrics
    inputs: tuple[str, ...]
    cache: PredictionCache | None = None

    async def infer(
        self,
        model: str,
        version: str,
        rows: list[dict[str, Any]],
        numeric: npt.NDArray[np.float32],
        categorical: npt.NDArray[np.int64],
    ) -> list[float]:
        cache = self.cache
        results: list[float | None] = [None] * len(rows)
        misses: list[int] = []
        keys = [{name: row.get(name) for name in self.inputs} for row in rows]
        for index, key in enumerate(keys):
            hit = cache.get(model, version, key) if cache is not None else None
            if cache is not None:
                self.metrics.cache.labels(model, "hit" if hit is not None else "miss").inc()
            if hit is not None:
                results[index] = hit
            else:
                misses.append(index)
        if misses:
            answered = await self.backend.predict(
                model, version, numeric[misses], categorical[misses]
            )
            self.metrics.answered(model, version, answered)
            for index, probability in zip(misses, answered.probabilities, strict=True):
                results[index] = float(probability)
                if cache is not None:
                    cache.put(model, version, keys[index], float(probability))
        return [r for r in results if r is not None]


@dataclass(frozen=True)
class Mirror:
    """The challenger answers a copy of the request after the client has its answer; its
    answers are logged for comparison and never returned, and its failure never reaches
    the client."""

    backend: Predictor
    encode: RecordEncoder
    metrics: GatewayMetrics
    tasks: "set[asyncio.Task[None]]"
    log: PredictionLog | None = None

    def mirror(self, request_id: str, model: str, version: str, rows: list[dict[str, Any]]) -> None:
        task = asyncio.get_running_loop().create_task(
            self._shadow(request_id, model, version, rows)
        )
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _shadow(
        self, request_id: str, model: str, version: str, rows: list[dict[str, Any]]
    ) -> None:
        try:
            numeric, categorical = self.encode.encode(rows)
            answered = await self.backend.predict(model, version, numeric, categorical)
            self.metrics.answered(model, version, answered)
            if self.log is not None:
                values = [float(p) for p in answered.probabilities]
                await asyncio.to_thread(self.log.record_shadow, request_id, model, version, values)
            self.metrics.shadow.labels(model, version, "ok").inc(len(rows))
        except Exception:  # a shadow's failure must never reach the client
            self.metrics.shadow.labels(model, version, "failed").inc(len(rows))


@dataclass(frozen=True)
class Observation:
    """A route's request count and latency, by tenant, version and status, whatever the
    handler answered or raised."""

    metrics: GatewayMetrics
    enabled: bool = True

    async def observe(
        self, route: str, model: str, answer: Callable[[Labels], Awaitable[Response]]
    ) -> Response:
        started, labels = time.perf_counter(), {"tenant": ANONYMOUS, "version": ""}
        status = 500
        try:
            response = await answer(labels)
            status = response.status_code
            return response
        except Problem as problem:
            status = problem.status
            raise
        except (OperationFailed, PolicyViolation, InvalidInput) as error:
            status = error_status(error)
            raise
        finally:
            if self.enabled:
                tenant, version = labels["tenant"], labels["version"]
                self.metrics.requests.labels(route, model, version, tenant, str(status)).inc()
                self.metrics.latency.labels(route, model, version, tenant).observe(
                    time.perf_counter() - started
                )
