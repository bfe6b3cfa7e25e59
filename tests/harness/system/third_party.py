"""The third-party servers the harness is proven on, each started on 127.0.0.1 with the
credit model and described as its team would describe it: `mlflow models serve`, MLServer
(Open Inference V2, in .venv-mlserver) and a team's own FastAPI service. Shared by the
tests and `benchmarks/own_system.py`."""

import json
import pickle
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import joblib

from readiness.descriptor import (
    Credentials,
    DataSpec,
    Endpoints,
    Pattern,
    Protocol,
    ProtocolKind,
    Registry,
    SLOs,
    TargetDescriptor,
)
from tests.harness.system.credit import (
    LABEL,
    MODEL_NAME,
    Registered,
    credit_pipeline,
    credit_rows,
    register_credit_model,
)
from tests.servers import free_port, mlflow_model_server, python_server

STEADY = """
version: 1.0.0
title: Short steady state
description: Twenty of the system's rows a second for six seconds, and no fault.
method:
  - type: action
    name: traffic
    provider:
      type: python
      module: harness.activities
      func: start_traffic
      arguments: {stages: [{seconds: 6, rate: 20}]}
  - type: probe
    name: traffic runs its course
    provider: {type: python, module: harness.activities, func: wait_for_traffic}
rollbacks:
  - type: action
    name: stop traffic
    provider: {type: python, module: harness.activities, func: stop_traffic}
extensions:
  - name: readiness
    dimensions: [architecture]
    expectations:
      - {name: the traffic was served, measure: requests, min: 60}
      - {name: no request is lost, measure: lost_requests, max: 0}
      - {name: error rate holds the SLO, measure: error_rate, max: 0.01}
"""
"""A short steady state every third-party server runs through."""

ROOT = Path(__file__).resolve().parents[3]
MLSERVER = ROOT / ".venv-mlserver" / "bin" / "mlserver"
SLO = SLOs(p99_latency_ms=250, error_rate=0.01, availability=0.99)
API_TOKEN = "team-token-3141"
SERVERS = ("mlflow", "mlserver", "fastapi")


def _wait_until(url: str, attempts: int = 120) -> None:
    """Until `url` answers 2xx (a port opens before its model is loaded)."""
    for _ in range(attempts):
        try:
            if httpx.get(url, timeout=2).is_success:
                return
        except httpx.HTTPError:
            pass
        import time

        time.sleep(0.5)
    raise TimeoutError(f"{url} never answered 2xx")


def mlflow_descriptor(base: str, registered: Registered, folder: Path, **changes: object) -> Path:
    fields: dict[str, object] = {
        "name": "credit-mlflow", "architecture": "mlflow-models-serve",
        "pattern": Pattern.REAL_TIME, "profile": "as-served", "model": MODEL_NAME, "slos": SLO,
        "endpoints": Endpoints(predict=f"{base}/invocations", health=f"{base}/health",
                               ready=f"{base}/ping"),
        "protocol": Protocol(kind=ProtocolKind.MLFLOW),
        "data": DataSpec(rows=registered.rows, label=LABEL, groups=["region"],
                         personal=["email"]),
        "registry": Registry(uri=registered.tracking_uri, model=MODEL_NAME,
                             served_version=registered.version),
    }  # fmt: skip
    fields.update(changes)
    return TargetDescriptor.model_validate(fields).write(folder / "target.yaml")


@contextmanager
def mlflow_served(folder: Path) -> Iterator[tuple[str, Registered]]:
    """(base URL, the registered model) of `mlflow models serve` of the champion."""
    registered = register_credit_model(folder)
    model = f"models:/{registered.model}@champion"
    with mlflow_model_server(model, registered.tracking_uri, folder) as server:
        base = f"http://{server.address}"
        _wait_until(f"{base}/ping")
        yield base, registered


@contextmanager
def mlserver_served(folder: Path) -> Iterator[Path]:
    """MLServer with the scikit-learn runtime; the descriptor's path."""
    if not MLSERVER.is_file():
        raise FileNotFoundError(f"{MLSERVER} is missing: `make .venv-mlserver/.installed`")
    frame = credit_rows()
    (folder / "models" / "credit").mkdir(parents=True, exist_ok=True)
    joblib.dump(credit_pipeline(frame), folder / "models" / "credit" / "model.joblib")
    frame.to_csv(folder / "rows.csv", index=False)
    http, grpc, metrics = free_port(), free_port(), free_port()
    (folder / "models" / "settings.json").write_text(json.dumps({
        "host": "127.0.0.1", "http_port": http, "grpc_port": grpc, "metrics_port": metrics,
        "parallel_workers": 0,
    }))  # fmt: skip
    (folder / "models" / "credit" / "model-settings.json").write_text(json.dumps({
        "name": "credit", "implementation": "mlserver_sklearn.SKLearnModel",
        "parameters": {"uri": "./model.joblib", "version": "v1"},
    }))  # fmt: skip
    base = f"http://127.0.0.1:{http}"
    descriptor = TargetDescriptor(
        name="credit-mlserver", architecture="mlserver", pattern=Pattern.REAL_TIME,
        profile="staging", model="credit", slos=SLO,
        endpoints=Endpoints(predict=f"{base}/v2/models/{{model}}/infer",
                            health=f"{base}/v2/health/live", ready=f"{base}/v2/health/ready",
                            metrics=f"http://127.0.0.1:{metrics}/metrics"),
        protocol=Protocol(kind=ProtocolKind.OPEN_INFERENCE),
        data=DataSpec(rows=folder / "rows.csv", label=LABEL, groups=["region"],
                      personal=["email"]),
    ).write(folder / "target.yaml")  # fmt: skip
    arguments = ["-c", f"import os; os.execv({str(MLSERVER)!r}, "
                 f"[{str(MLSERVER)!r}, 'start', {str(folder / 'models')!r}])"]  # fmt: skip
    with python_server(arguments, http, folder):
        _wait_until(f"{base}/v2/models/credit/ready")
        yield descriptor


@contextmanager
def fastapi_served(folder: Path) -> Iterator[Path]:
    """The team's own FastAPI service; the descriptor's path (its log declared)."""
    frame = credit_rows()
    rows = folder / "rows.parquet"
    frame.to_parquet(rows)
    model = folder / "model.pkl"
    model.write_bytes(pickle.dumps(credit_pipeline(frame)))
    log, port = folder / "service.log", free_port()
    (folder / "token.env").write_text(f"CREDIT_TOKEN={API_TOKEN}\n")
    base = f"http://127.0.0.1:{port}"
    descriptor = TargetDescriptor(
        name="credit-api", architecture="fastapi", pattern=Pattern.REAL_TIME, profile="staging",
        slos=SLO,
        endpoints=Endpoints(predict=f"{base}/predict", health=f"{base}/health",
                            metrics=f"{base}/metrics", openapi=f"{base}/openapi.json"),
        protocol=Protocol(kind=ProtocolKind.TEMPLATE, body="{{instance}}",
                          predictions="default_probability", version="model_version",
                          request_id="header:x-request-id"),
        data=DataSpec(rows=rows, label=LABEL, groups=["region"], personal=["email"]),
        credentials=Credentials(api_key_env="CREDIT_TOKEN", env_file=folder / "token.env",
                                header="Authorization", scheme="Bearer"),
        logs=[log],
    ).write(folder / "target.yaml")  # fmt: skip
    arguments = ["-m", "tests.harness.system.credit_api", str(model), str(port), str(log)]
    with python_server(arguments, port, folder, {"CREDIT_API_TOKEN": API_TOKEN}):
        _wait_until(f"{base}/health")
        yield descriptor
