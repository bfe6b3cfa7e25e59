"""A real HTTP double of a deployment's admin API, for the retraining's shadow and
promotion steps: the routes, bodies and refusals of the microservice's admin API, served
by uvicorn on a free 127.0.0.1 port in a thread.

Shadow traffic is simulated: when a challenger is put in shadow mode, the double records
`shadow_answers` comparisons at once, agreeing with the champion's decision on the share
`agreement` of them. Promotion follows the control plane's rule through a real registry
when one is given: refused (409) without an approval record.
"""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from reference.microservice.control import PromoteRequest
from reference.microservice.routing import RoutingUpdate
from reference.platform.model.registry import ModelRegistry
from tests.servers import free_port

KEY = "admin-key-of-the-double"


@dataclass
class AdminDouble:
    champion: str
    shadow_answers: int = 0
    agreement: float = 1.0
    registry: ModelRegistry | None = None
    url: str = ""
    table: dict[str, Any] = field(default_factory=dict)
    comparisons: list[dict[str, Any]] = field(default_factory=list)
    calls: list[tuple[str, str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.table = {"champion": self.champion, "challenger": None, "canary_weight": 0.0,
                      "shadow": False, "pins": {}}  # fmt: skip

    def route(self, update: RoutingUpdate) -> None:
        self.table = {**self.table, **update.model_dump()}
        if update.shadow and update.challenger:
            agreeing = round(self.shadow_answers * self.agreement)
            for index in range(self.shadow_answers):
                self.comparisons.insert(0, {
                    "request_id": f"r{len(self.comparisons)}", "position": 0,
                    "served_version": self.table["champion"], "served_probability": 0.7,
                    "shadow_version": update.challenger,
                    "shadow_probability": 0.65 if index < agreeing else 0.3,
                })  # fmt: skip

    def app(self) -> FastAPI:
        app = FastAPI()
        base = "/v1/admin/models/{model}"

        @app.middleware("http")
        async def admin_only(request: Request, call_next: Any) -> Any:
            if request.headers.get("x-api-key") != KEY:
                return JSONResponse({"detail": "unknown key"}, status_code=401)
            return await call_next(request)

        @app.get(f"{base}/routing")
        async def routing(model: str) -> JSONResponse:
            self.calls.append(("GET", "routing", None))
            return JSONResponse({**self.table, "loaded": [self.table["champion"]]})

        @app.put(f"{base}/routing")
        async def route(model: str, request: Request) -> JSONResponse:
            update = RoutingUpdate.model_validate(await request.json())
            self.calls.append(("PUT", "routing", update.model_dump()))
            self.route(update)
            return JSONResponse({"action": "route"})

        @app.get(f"{base}/shadow")
        async def shadow(model: str, limit: int = 100) -> JSONResponse:
            self.calls.append(("GET", "shadow", limit))
            return JSONResponse(self.comparisons[:limit])

        @app.post(f"{base}/promote")
        async def promote(model: str, request: Request) -> JSONResponse:
            body = PromoteRequest.model_validate(await request.json())
            self.calls.append(("POST", "promote", body.model_dump()))
            if self.registry is not None:
                if self.registry.describe(model, body.version).approval is None:
                    return JSONResponse({"detail": "no approval record"}, status_code=409)
                self.registry.promote(model, body.version)
            self.table = {**self.table, "champion": body.version, "challenger": None,
                          "shadow": False}  # fmt: skip
            return JSONResponse({"action": "promote", "to_version": body.version})

        return app


@contextmanager
def serving(double: AdminDouble) -> Iterator[AdminDouble]:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(double.app(), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the admin double did not start"
        time.sleep(0.02)
    double.url = f"http://127.0.0.1:{port}/v1/admin/models/{{model}}"
    try:
        yield double
    finally:
        server.should_exit = True
        thread.join(timeout=10)
