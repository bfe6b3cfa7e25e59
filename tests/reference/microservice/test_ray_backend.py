"""The Ray Serve backend against a real local Ray (127.0.0.1), with a small real model."""

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import ray
import torch
from ray import serve

from reference.microservice.backends import LocalBackend
from reference.microservice.ray_backend import RayServeBackend, ReplicaSettings
from reference.microservice.replica import ReplicaConfig
from reference.platform.dataset import AdultDataset
from reference.platform.models.architectures import InputSpec, TabularNet
from reference.platform.models.export import export_onnx


@pytest.fixture(scope="module")
def model_file(adult: AdultDataset, tmp_path_factory: pytest.TempPathFactory) -> Path:
    numeric, categorical = adult.schema.encode(adult.test.head(64))
    torch.manual_seed(0)
    net = TabularNet(InputSpec.fit(adult.schema, numeric), 2, (8,), 0.0).eval()
    return export_onnx(net, tmp_path_factory.mktemp("model") / "m.onnx", numeric, categorical)


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    ray.init(num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1",
             log_to_driver=False, configure_logging=False)  # fmt: skip
    serve.start(proxy_location="Disabled")
    try:
        yield
    finally:
        serve.shutdown()  # type: ignore[no-untyped-call]
        ray.shutdown()


@pytest.fixture(scope="module")
def backend(local_ray: None, model_file: Path) -> RayServeBackend:
    served = RayServeBackend(ReplicaSettings(min_replicas=1, max_replicas=1, cpus_per_replica=0.5))
    served.add(ReplicaConfig(model="m", version="7", path=str(model_file),
                             max_batch_size=64, batch_wait_timeout_s=0.01))  # fmt: skip
    return served


def test_replicas_answer_as_the_model_does_in_process(
    backend: RayServeBackend, model_file: Path, adult: AdultDataset
) -> None:
    numeric, categorical = adult.schema.encode(adult.test.head(20))
    local = LocalBackend()
    local.load("m", "7", model_file)
    served, remote = asyncio.run(backend.predict("m", numeric, categorical))
    _, expected = asyncio.run(local.predict("m", numeric, categorical))
    assert served.version == "7"
    np.testing.assert_allclose(remote, expected, atol=1e-6)


def test_concurrent_requests_share_model_runs(
    backend: RayServeBackend, adult: AdultDataset
) -> None:
    numeric, categorical = adult.schema.encode(adult.test.head(32))
    before = backend.handle("m").stats.remote().result()["runs"]

    async def burst() -> list[np.ndarray]:
        calls = [
            backend.predict("m", numeric[i : i + 1], categorical[i : i + 1]) for i in range(32)
        ]
        return [answer for _, answer in await asyncio.gather(*calls)]

    answers = asyncio.run(burst())
    runs = backend.handle("m").stats.remote().result()["runs"] - before
    assert [len(a) for a in answers] == [1] * 32
    assert runs < 32, f"32 concurrent calls took {runs} model runs: no batching"


def test_fault_hooks_are_refused_unless_enabled(backend: RayServeBackend) -> None:
    with pytest.raises(Exception, match="fault hooks are disabled"):
        backend.handle("m").set_fault.remote("device_error").result()


def test_a_failing_accelerator_falls_back_to_the_cpu_model(
    local_ray: None, model_file: Path, adult: AdultDataset
) -> None:
    served = RayServeBackend(ReplicaSettings(min_replicas=1, max_replicas=1, cpus_per_replica=0.25))
    served.add(ReplicaConfig(model="faulty", version="1", path=str(model_file),
                             fallback_path=str(model_file), faults_enabled=True))  # fmt: skip
    replica = served.handle("faulty")
    assert replica.set_fault.remote("device_error").result() == "device_error"
    numeric, categorical = adult.schema.encode(adult.test.head(5))
    _, answer = asyncio.run(served.predict("faulty", numeric, categorical))
    assert answer.shape == (5,)
    assert replica.stats.remote().result()["fallback_calls"] >= 1
