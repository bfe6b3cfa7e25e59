"""Ray Serve as the gateway's inference backend.

The gateway calls replicas through Serve deployment handles, not through Serve's HTTP
proxy (the proxy is Serve's known bottleneck, and the gateway already speaks HTTP). A call
that fails because a replica died, or that exceeds its timeout, is retried on another
replica, so an accepted request is not lost to one replica's death.
"""

import asyncio
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from ray import serve
from ray.serve.handle import DeploymentHandle

from readiness.errors import OperationFailed
from reference.microservice.backends import ServedVersion
from reference.microservice.replica import ModelReplica, ReplicaConfig


class InferenceFailed(OperationFailed):
    """Every attempt at a prediction failed; the gateway answers 503."""


@dataclass(frozen=True)
class ReplicaSettings:
    min_replicas: int = 1
    max_replicas: int = 2
    cpus_per_replica: float = 0.5
    timeout_s: float = 5.0
    attempts: int = 3
    health_check_period_s: float = 2.0


def deploy(config: ReplicaConfig, settings: ReplicaSettings) -> DeploymentHandle[Any]:
    """Run one model's replicas as a Serve application named after the model."""
    deployment = serve.deployment(
        name=f"{config.model}-replica",
        ray_actor_options={"num_cpus": settings.cpus_per_replica},
        autoscaling_config={
            "min_replicas": settings.min_replicas,
            "max_replicas": settings.max_replicas,
            "target_ongoing_requests": 8,
        },
        max_ongoing_requests=64,
        health_check_period_s=settings.health_check_period_s,
    )(ModelReplica)
    return serve.run(deployment.bind(config), name=config.model, route_prefix=None)


class RayServeBackend:
    def __init__(self, settings: ReplicaSettings | None = None) -> None:
        self.settings = settings or ReplicaSettings()
        self._handles: dict[str, tuple[ServedVersion, DeploymentHandle[Any]]] = {}

    def add(self, config: ReplicaConfig) -> None:
        handle = deploy(config, self.settings)
        self._handles[config.model] = (ServedVersion(config.model, config.version), handle)

    def served(self, model: str) -> ServedVersion | None:
        entry = self._handles.get(model)
        return entry[0] if entry else None

    def ready(self) -> bool:
        return bool(self._handles)

    def handle(self, model: str) -> DeploymentHandle[Any]:
        return self._handles[model][1]

    async def predict(
        self, model: str, numeric: npt.NDArray[np.float32], categorical: npt.NDArray[np.int64]
    ) -> tuple[ServedVersion, npt.NDArray[np.float32]]:
        handle = self.handle(model)
        failure: BaseException | None = None
        for _ in range(self.settings.attempts):
            try:
                response: Any = handle.predict.remote(numeric, categorical)
                version, probabilities = await asyncio.wait_for(response, self.settings.timeout_s)
                return ServedVersion(model, version), np.asarray(probabilities, np.float32)
            except TimeoutError as error:
                failure = error
            except Exception as error:  # a dead replica surfaces as a Ray error; retry
                failure = error
        raise InferenceFailed(
            f"{model}: {self.settings.attempts} attempts failed; last: {failure!r}"
        )
