"""Ray Serve as the gateway's inference backend.

The gateway calls replicas through Serve deployment handles, not through Serve's HTTP
proxy (the proxy is Serve's known bottleneck, and the gateway already speaks HTTP), and
merges concurrent requests into one call per version (`CallBatcher`). A call that fails
because a replica died, or that exceeds its timeout, is retried on another replica, so an
accepted request is not lost to one replica's death; only the attempt that answered is
returned, so the gateway counts its fallback answers once. Each model version is its own
Serve application, so a canary or a shadow has replicas of its own.
"""

import asyncio
import os
import signal
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from ray import serve
from ray.serve._private.common import ReplicaState
from ray.serve.handle import DeploymentHandle
from ray.serve.schema import ApplicationStatus

from readiness.errors import FaultUnsupported, InferenceFailed, OperationFailed
from reference.microservice.backends import Predictions
from reference.microservice.batching import CallBatcher
from reference.microservice.faults import Fault, FaultFile, FaultRequest, FaultState
from reference.microservice.replica import ModelReplica, ReplicaConfig
from reference.platform.explain.attributions import Attribution
from reference.platform.explain.counterfactual import Counterfactual


@dataclass(frozen=True)
class ReplicaSettings:
    min_replicas: int = 1
    max_replicas: int = 2
    cpus_per_replica: float = 0.5
    timeout_s: float = 5.0
    attempts: int = 3
    health_check_period_s: float = 2.0
    max_in_flight: int = 4
    """Calls outstanding per version before requests queue into the next batch; 0: no
    gateway-side batching (one call per request)."""
    max_batch_size: int = 256
    """Rows per ONNX Runtime run in a replica (`@serve.batch`); 1: no replica batching."""
    target_ongoing_requests: float = 2.0
    """Calls per replica Serve aims for. The gateway's batcher holds the queue and keeps at
    most `max_in_flight` calls outstanding, so Serve sees overload only as replicas that
    hold more than the target: the batcher's budget is twice the target, so a saturated
    single replica (4 calls) asks for a second, while nominal load (a call or two) does not."""
    upscale_delay_s: float = 3.0
    downscale_delay_s: float = 20.0
    look_back_period_s: float = 5.0


SERVE_CONFIGS = threading.Lock()
"""Held wherever this process builds Serve configs: deploying, and reading `serve.status()`.
Ray Serve 2.60 builds each deployment's request-router config by registering a module in
cloudpickle's process-wide pickle-by-value set, dumping, and unregistering it, unlocked; a
/metrics scrape (serve.status) building configs in one thread while a promotion deploys in
another made the second unregister raise ValueError, and every second deploy of a
service under scrape failed with 500 (in 7 service logs of one `make test`)."""

DEPLOY_POLL_S = 0.25


def application_name(model: str, version: str) -> str:
    return f"{model}-v{version}"


def deploy(config: ReplicaConfig, settings: ReplicaSettings) -> DeploymentHandle[Any]:
    """Run one model version's replicas as a Serve application of its own, and wait until
    Serve calls it RUNNING. The configs are built under SERVE_CONFIGS; the wait is not, so
    /metrics keeps answering while replicas start."""
    name = application_name(config.model, config.version)
    with SERVE_CONFIGS:  # serve.run is this call with the wait inside; Ray marks _run stable
        handle = serve._run(_bound(config, settings), _blocking=False, name=name,
                            route_prefix=None)  # fmt: skip
    while (found := serve_status().applications.get(name)) is None or (
        found.status != ApplicationStatus.RUNNING
    ):
        if found is not None and found.status == ApplicationStatus.DEPLOY_FAILED:
            raise OperationFailed(f"Ray Serve could not deploy {name}: {found.message}")
        time.sleep(DEPLOY_POLL_S)
    return handle


def serve_status() -> Any:
    """`serve.status()`, built under SERVE_CONFIGS."""
    with SERVE_CONFIGS:
        return serve.status()


def _bound(config: ReplicaConfig, settings: ReplicaSettings) -> Any:
    deployment = serve.deployment(
        name="replica",
        ray_actor_options={"num_cpus": settings.cpus_per_replica},
        autoscaling_config={
            "min_replicas": settings.min_replicas,
            "max_replicas": settings.max_replicas,
            "target_ongoing_requests": settings.target_ongoing_requests,
            "upscale_delay_s": settings.upscale_delay_s,
            "downscale_delay_s": settings.downscale_delay_s,
            "look_back_period_s": settings.look_back_period_s,
        },
        max_ongoing_requests=64,
        health_check_period_s=settings.health_check_period_s,
    )(ModelReplica)
    return deployment.bind(config)


class _Version:
    def __init__(self, handle: DeploymentHandle[Any], batcher: CallBatcher | None) -> None:
        self.handle, self.batcher = handle, batcher


class RayServeBackend:
    def __init__(
        self,
        settings: ReplicaSettings | None = None,
        template: ReplicaConfig | None = None,
        fault_file: Path | None = None,
    ) -> None:
        """`template` carries what every version's replicas share (fallback, background)."""
        self.settings = settings or ReplicaSettings()
        self.template = template
        self.fault_file = FaultFile(fault_file) if fault_file else None
        self._versions: dict[tuple[str, str], _Version] = {}

    def load_now(self, model: str, version: str, path: Path) -> None:
        base = self.template or ReplicaConfig(model=model, version=version, path=str(path))
        config = replace(
            base, model=model, version=version, path=str(path),
            fault_file=str(self.fault_file.path) if self.fault_file else None,
            max_batch_size=self.settings.max_batch_size,
        )  # fmt: skip
        handle = deploy(config, self.settings)
        self._versions[(model, version)] = self._wrap(model, version, handle)

    def adopt(self, model: str, version: str, handle: DeploymentHandle[Any]) -> None:
        """Serve through an application someone else deployed (tests, benchmarks)."""
        self._versions[(model, version)] = self._wrap(model, version, handle)

    async def load(self, model: str, version: str, path: Path) -> None:
        await asyncio.to_thread(self.load_now, model, version, path)

    async def unload(self, model: str, version: str) -> None:
        if self._versions.pop((model, version), None) is not None:
            await asyncio.to_thread(serve.delete, application_name(model, version))

    def loaded(self, model: str) -> set[str]:
        return {version for name, version in self._versions if name == model}

    def ready(self) -> bool:
        return bool(self._versions)

    def batching(self, model: str) -> dict[str, tuple[int, int]]:
        return {
            version: (served.batcher.calls, served.batcher.requests)
            for (name, version), served in self._versions.items()
            if name == model and served.batcher is not None
        }

    def faults_enabled(self) -> bool:
        return self.fault_file is not None

    async def replicas(self, model: str) -> dict[str, int]:
        status = await asyncio.to_thread(serve_status)
        counts: dict[str, int] = {}
        for version in self.loaded(model):
            application = status.applications.get(application_name(model, version))
            deployment = application.deployments.get("replica") if application else None
            states = deployment.replica_states if deployment else {}
            counts[version] = int(states.get(ReplicaState.RUNNING, 0))
        return counts

    def handle(self, model: str, version: str) -> DeploymentHandle[Any]:
        return self._versions[(model, version)].handle

    async def predict(
        self,
        model: str,
        version: str,
        numeric: npt.NDArray[np.float32],
        categorical: npt.NDArray[np.int64],
    ) -> Predictions:
        served = self._versions[(model, version)]
        if served.batcher is not None:
            return await served.batcher.submit(numeric, categorical)
        answer: Predictions = await self._call(served.handle, "predict", numeric, categorical)
        return answer

    async def explain(
        self,
        model: str,
        version: str,
        numeric: npt.NDArray[np.float32],
        categorical: npt.NDArray[np.int64],
    ) -> list[Attribution]:
        answer: list[Attribution] = await self._call(
            self.handle(model, version), "explain", numeric, categorical
        )
        return answer

    async def counterfactual(
        self, model: str, version: str, row: Mapping[str, Any]
    ) -> Counterfactual:
        answer: Counterfactual = await self._call(
            self.handle(model, version), "counterfactual", dict(row)
        )
        return answer

    async def inject(self, model: str, request: FaultRequest) -> str:
        if self.fault_file is None:
            raise FaultUnsupported("fault hooks are disabled for this deployment")
        if request.fault is Fault.KILL_REPLICA:
            versions = sorted(self.loaded(model))
            if not versions:
                raise FaultUnsupported(f"model '{model}' has no replicas")
            pid: int = await self.handle(model, versions[0]).pid.remote()
            os.kill(pid, signal.SIGKILL)
            return f"killed replica process {pid} of {model} version {versions[0]}"
        state = FaultState(fault=request.fault, delay_ms=request.delay_ms)
        self.fault_file.write(state)
        return f"replicas of every model now run with fault '{state.fault}'"

    def _wrap(self, model: str, version: str, handle: DeploymentHandle[Any]) -> _Version:
        if self.settings.max_in_flight < 1:
            return _Version(handle, None)

        async def send(
            numeric: npt.NDArray[np.float32], categorical: npt.NDArray[np.int64]
        ) -> Predictions:
            answer: Predictions = await self._call(handle, "predict", numeric, categorical)
            return answer

        return _Version(handle, CallBatcher(send, self.settings.max_in_flight))

    async def _call(self, handle: DeploymentHandle[Any], method: str, *arguments: Any) -> Any:
        failure: BaseException | None = None
        for attempt in range(self.settings.attempts):
            try:
                response: Any = getattr(handle, method).remote(*arguments)
                return await asyncio.wait_for(response, self.settings.timeout_s)
            except Exception as error:  # a dead replica surfaces as a Ray error; retry
                failure = error
                if attempt + 1 < self.settings.attempts:  # no pause after the last one
                    await asyncio.sleep(0.1 * (attempt + 1))
        raise InferenceFailed(
            f"{self.settings.attempts} attempts at {method} failed; last: {failure!r}"
        )
