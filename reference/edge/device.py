"""A device as a process: `python -m reference.edge.device CONFIG.yaml` (written by
`readiness up edge`), serving on 127.0.0.1 and the configured port.

The routes are those a caller on the device would use: predict (the same request body as
every serving path of the project, answered synchronously), health, readiness (a verified
model is loaded), the device's status and its Prometheus metrics.
"""

import logging
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from readiness.documents import load_document
from readiness.errors import InvalidConfiguration, Problem
from reference.edge.metrics import REGISTRY
from reference.edge.runtime import DeviceConfig, EdgeRuntime
from reference.platform.model.schema import FeatureSchema, load_schema
from reference.platform.serving.instances import (
    DEFAULT_MAX_BATCH,
    openapi_body,
    predict_request_model,
)
from reference.platform.serving.problems import answer_problems, read_body

MAX_BODY_BYTES = 1_000_000


def create_app(runtime: EdgeRuntime, schema: FeatureSchema) -> FastAPI:
    request_model = predict_request_model(schema, DEFAULT_MAX_BATCH)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        yield
        await runtime.stop()

    app = FastAPI(title=f"readiness edge device {runtime.config.device}", lifespan=lifespan)

    answer_problems(app)

    @app.post("/v1/models/{model}/predict", openapi_extra=openapi_body(request_model))
    async def predict(model: str, request: Request) -> Response:
        if model != runtime.config.model:
            raise Problem(404, f"no model '{model}' on this device")
        try:
            body = await read_body(request, request_model, MAX_BODY_BYTES)
        except Problem as refused:
            runtime.refused(refused)
            raise
        rows = [i.model_dump(exclude_none=True) for i in body.instances]  # type: ignore[attr-defined]
        answered = runtime.predict(rows, request.headers.get("x-request-id"))
        predictions = [
            {"probability": float(p), "label": d, "model": model, "version": answered.version}
            for p, d in zip(answered.probabilities, answered.decisions, strict=True)
        ]
        return JSONResponse(
            {"request_id": answered.request_id, "predictions": predictions},
            headers={"x-model-version": answered.version, "x-device": runtime.config.device},
        )

    @app.get("/healthz")
    async def health() -> Response:
        status = runtime.status()
        return JSONResponse(status, 200 if runtime.served is not None else 503)

    @app.get("/readyz")
    async def ready() -> Response:
        served = runtime.served is not None
        return JSONResponse({"ready": served}, 200 if served else 503)

    @app.get("/v1/device")
    async def device() -> dict[str, Any]:
        return runtime.status()

    @app.get("/metrics")
    async def metrics() -> Response:
        runtime.status()  # the gauges read on scrape: outbox, drops, link
        return PlainTextResponse(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    return app


def main(argv: list[str]) -> int:
    import uvicorn

    if len(argv) != 2:
        sys.stderr.write("usage: python -m reference.edge.device CONFIG.yaml\n")
        return 2
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    config = load_document(Path(argv[1]), DeviceConfig, InvalidConfiguration, "device config")
    listener = socket.create_server((config.host, config.port))
    schema = load_schema()
    app = create_app(EdgeRuntime(config, schema), schema)
    uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[listener])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
