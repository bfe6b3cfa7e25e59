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

from reference.microservice.backends import LocalBackend, Predictions
from reference.microservice.faults import Fault, FaultRequest
from reference.microservice.ray_backend import RayServeBackend, ReplicaSettings
from reference.platform.model.architectures import InputSpec, TabularNet
from reference.platform.model.dataset import AdultDataset
from reference.platform.model.export import export_onnx


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
    served.load_now("m", "7", model_file)
    return served


def test_replicas_answer_as_the_model_does_in_process(
    backend: RayServeBackend, model_file: Path, adult: AdultDataset
) -> None:
    numeric, categorical = adult.schema.encode(adult.test.head(20))
    local = LocalBackend(adult.schema)
    local.load_now("m", "7", model_file)
    remote = asyncio.run(backend.predict("m", "7", numeric, categorical))
    expected = asyncio.run(local.predict("m", "7", numeric, categorical))
    np.testing.assert_allclose(remote.probabilities, expected.probabilities, atol=1e-6)
    assert remote.fallback_instances == 0


def test_concurrent_requests_share_remote_calls_and_model_runs(
    backend: RayServeBackend, adult: AdultDataset
) -> None:
    numeric, categorical = adult.schema.encode(adult.test.head(32))
    before = backend.handle("m", "7").stats.remote().result()["runs"]

    async def burst() -> list[Predictions]:
        calls = [
            backend.predict("m", "7", numeric[i : i + 1], categorical[i : i + 1]) for i in range(32)
        ]
        return list(await asyncio.gather(*calls))

    answers = asyncio.run(burst())
    runs = backend.handle("m", "7").stats.remote().result()["runs"] - before
    assert [len(a) for a in answers] == [1] * 32
    assert runs < 32, f"32 concurrent calls took {runs} model runs: no batching"


def test_fault_hooks_are_refused_unless_enabled(backend: RayServeBackend) -> None:
    assert not backend.faults_enabled()
    with pytest.raises(Exception, match="fault hooks are disabled"):
        asyncio.run(backend.inject("m", FaultRequest(fault=Fault.DEVICE_ERROR)))
    with pytest.raises(Exception, match="fault hooks are disabled"):
        backend.handle("m", "7").pid.remote().result()


def test_a_failing_accelerator_falls_back_to_the_cpu_model(
    local_ray: None, model_file: Path, adult: AdultDataset, tmp_path: Path
) -> None:
    served = RayServeBackend(
        ReplicaSettings(min_replicas=1, max_replicas=1, cpus_per_replica=0.25),
        fault_file=tmp_path / "faults.json",
    )
    served.load_now("faulty", "1", model_file)
    assert served.faults_enabled()
    numeric, categorical = adult.schema.encode(adult.test.head(5))
    healthy = asyncio.run(served.predict("faulty", "1", numeric, categorical))
    asyncio.run(served.inject("faulty", FaultRequest(fault=Fault.DEVICE_ERROR)))
    answer = asyncio.run(served.predict("faulty", "1", numeric, categorical))
    assert answer.probabilities.shape == (5,)
    assert (healthy.fallback_instances, answer.fallback_instances) == (0, 5)
    np.testing.assert_allclose(answer.probabilities, healthy.probabilities, atol=1e-6)
    assert served.handle("faulty", "1").stats.remote().result()["fallback_calls"] >= 1
    asyncio.run(served.inject("faulty", FaultRequest(fault=Fault.NONE)))
    repaired = asyncio.run(served.predict("faulty", "1", numeric, categorical))
    assert repaired.fallback_instances == 0
    asyncio.run(served.unload("faulty", "1"))
    assert served.loaded("faulty") == set()
