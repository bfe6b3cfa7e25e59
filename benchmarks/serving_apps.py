"""The two competitors of the serving benchmark that are not our production path.

`bare`: FastAPI + ONNX Runtime in one process, nothing else (the ceiling). `naive`: the same
model in a Ray Serve deployment behind Serve's own HTTP proxy, without batching (what a
first Ray Serve deployment looks like). Both parse and encode a request exactly as the
gateway does. Run: `python -m benchmarks.serving_apps bare|naive MODEL.onnx PORT`.
"""

import sys
import time
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from reference.platform.model.runtime import OnnxModel
from reference.platform.model.schema import RecordEncoder, load_schema


def answer(encoder: RecordEncoder, model: OnnxModel, body: dict[str, Any]) -> dict[str, Any]:
    probabilities = model.predict(*encoder.encode(body["instances"]))
    return {"predictions": [{"probability": float(p)} for p in probabilities]}


def bare_app(path: Path) -> FastAPI:
    encoder, model = RecordEncoder(load_schema()), OnnxModel(path, threads=1)
    app = FastAPI()

    @app.post("/v1/models/{name}/predict")
    async def predict(name: str, request: Request) -> Response:
        return JSONResponse(answer(encoder, model, await request.json()))

    return app


def serve_naive(path: Path, port: int) -> None:
    import ray
    from ray import serve

    class NaiveModel:
        def __init__(self, model_path: str) -> None:
            self.encoder = RecordEncoder(load_schema())
            self.model = OnnxModel(Path(model_path), threads=1)

        async def __call__(self, request: Any) -> dict[str, Any]:
            return answer(self.encoder, self.model, await request.json())

    ray.init(num_cpus=4, include_dashboard=False, _node_ip_address="127.0.0.1",
             log_to_driver=False)  # fmt: skip
    serve.start(http_options={"host": "127.0.0.1", "port": port})
    deployment = serve.deployment(num_replicas=2, ray_actor_options={"num_cpus": 0.5})(NaiveModel)
    serve.run(deployment.bind(str(path)), route_prefix="/v1/models/adult-income/predict")
    while True:
        time.sleep(3600)


def main(argv: list[str]) -> int:
    kind, path, port = argv[1], Path(argv[2]), int(argv[3])
    if kind == "bare":
        import uvicorn

        uvicorn.run(bare_app(path), host="127.0.0.1", port=port, log_level="warning")
    elif kind == "naive":
        serve_naive(path, port)
    else:
        sys.stderr.write("usage: python -m benchmarks.serving_apps bare|naive MODEL PORT\n")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
