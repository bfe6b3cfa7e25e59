"""The microservice as its tests run it: `readiness up` and `down` in a process of their
own, and a client of the running service through its descriptor."""

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from readiness.descriptor import TargetDescriptor, load_descriptor
from readiness.home import HOME_VARIABLE, MLFLOW_VARIABLE, Home
from reference.platform.model.registry import ModelRegistry
from reference.platform.model.served import SERVED_MODEL
from tests.examples import VALID_ROW

ROW = VALID_ROW


def readiness(home: Home, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "readiness", *arguments],
        env={**{k: v for k, v in os.environ.items() if k != MLFLOW_VARIABLE},
             HOME_VARIABLE: str(home.root)},
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def credentials(descriptor: TargetDescriptor) -> dict[str, str]:
    assert descriptor.credentials.env_file is not None
    lines = descriptor.credentials.env_file.read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line)


@contextmanager
def deployment(home: Home, profile: str, alias: str, *options: str) -> Iterator[TargetDescriptor]:
    started = readiness(
        home, "up", "microservice", "--profile", profile, "--alias", alias, *options
    )
    assert started.returncode == 0, started.stderr[-2000:]
    try:
        yield load_descriptor(Path(started.stdout.strip()))
    finally:
        stopped = readiness(home, "down", "microservice")
        assert stopped.returncode == 0, stopped.stderr


def artifact_folder(registry: ModelRegistry, version: str, home: Home) -> Path:
    import mlflow

    found = registry.client.get_model_version(SERVED_MODEL, version)
    return Path(mlflow.artifacts.download_artifacts(
        artifact_uri=found.source, dst_path=str(home.root / "download"),
        tracking_uri=registry.tracking_uri,
    ))  # fmt: skip


class Api:
    """The service as a client sees it through its descriptor."""

    def __init__(self, descriptor: TargetDescriptor) -> None:
        self.descriptor = descriptor
        keys = credentials(descriptor)
        self.user = {"x-api-key": keys["READINESS_API_KEY"]}
        self.admin = {"x-api-key": keys["READINESS_ADMIN_KEY"]}
        endpoints = descriptor.endpoints
        assert endpoints.admin
        assert endpoints.explain
        assert endpoints.feedback
        self.predict_url = endpoints.predict.format(model=SERVED_MODEL)
        self.admin_url = endpoints.admin.format(model=SERVED_MODEL)
        self.explain_url = endpoints.explain.format(model=SERVED_MODEL)
        self.feedback_url = endpoints.feedback

    def predict(self, *rows: dict[str, Any]) -> httpx.Response:
        return httpx.post(self.predict_url, json={"instances": list(rows)}, headers=self.user,
                          timeout=30)  # fmt: skip

    def served_version(self) -> str:
        answer = self.predict(ROW)
        assert answer.status_code == 200, answer.text
        return str(answer.json()["predictions"][0]["version"])

    def admin_call(self, method: str, path: str, body: object = None) -> httpx.Response:
        return httpx.request(method, f"{self.admin_url}/{path}", json=body, headers=self.admin,
                             timeout=120)  # fmt: skip

    def fault(self, name: str) -> httpx.Response:
        hook = next(h for h in self.descriptor.fault_hooks if h.name == name)
        return httpx.post(hook.target.format(model=SERVED_MODEL), json=hook.payload,
                          headers=self.admin, timeout=60)  # fmt: skip

    def cache_count(self, result: str) -> float:
        assert self.descriptor.endpoints.metrics is not None
        text = httpx.get(self.descriptor.endpoints.metrics, timeout=10).text
        wanted = f'readiness_cache_total{{model="{SERVED_MODEL}",result="{result}"}}'
        values = [float(line.split()[-1]) for line in text.splitlines() if line.startswith(wanted)]
        return values[0] if values else 0.0
