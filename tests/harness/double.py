"""A real test double of a target: a small HTTP server on 127.0.0.1 that answers like a
model service (health, predict, feedback, Prometheus metrics) and offers fault hooks, so
the harness's engine, traffic and bundle can be tested in seconds without Ray.

Its behaviour is switched by hooks, exactly as a user's system would be broken on purpose:
`break` makes predictions answer 500, `alert` raises a firing alert in its metrics, `flaky-
undo` is an undo hook that itself fails, `drop` makes it accept predictions (202, as a
stream would) and never act on them, `clear` puts everything back. Its results route
answers what became of each request, as a stream's does.
"""

import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from readiness.descriptor import (
    Credentials,
    DataSpec,
    Endpoints,
    FaultHook,
    Pattern,
    SLOs,
    TargetDescriptor,
)

API_KEY = "double-key"


class DoubleState:
    def __init__(self) -> None:
        self.broken = False
        self.alert = False
        self.healthy = True
        self.version = "1"
        self.predictions = 0
        self.feedback = 0
        self.hooks: list[str] = []
        self.dropping = False
        self.acted: dict[str, float] = {}
        """Request id -> when it was acted on (every prediction answered while not dropping)."""


class _Handler(BaseHTTPRequestHandler):
    state: DoubleState

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _answer(self, status: int, body: object, content: str = "application/json") -> None:
        data = (body if isinstance(body, str) else json.dumps(body)).encode()
        self.send_response(status)
        self.send_header("content-type", content)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        if self.path == "/healthz":
            self._answer(200 if self.state.healthy else 503, {"status": "ok"})
        elif self.path == "/metrics":
            firing = 1 if self.state.alert else 0
            alert = 'model="m",rule="double-alert",severity="high"'
            text = (
                "# TYPE readiness_alerts_firing gauge\n"
                f"readiness_alerts_firing{{{alert}}} {firing}\n"
                "# TYPE readiness_replicas gauge\n"
                f'readiness_replicas{{model="m",version="{self.state.version}"}} 1\n'
            )
            self._answer(200, text, "text/plain")
        else:
            self._answer(404, {"detail": "not found"})

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length", 0))
        body = json.loads(self.rfile.read(length) or b"{}")
        if self.path.startswith("/hooks/"):
            self._hook(self.path.removeprefix("/hooks/"))
            return
        if self.headers.get("x-api-key") != API_KEY:
            self._answer(401, {"detail": "missing or wrong API key"})
        elif self.path == "/v1/models/m/predict":
            self._predict(body)
        elif self.path == "/v1/results":
            ids = [str(i) for i in body.get("request_ids", [])]
            rows = [{"request_id": i, "predictions": int(i in self.state.acted),
                     "actions": int(i in self.state.acted),
                     "completed_at": self.state.acted.get(i)} for i in ids]  # fmt: skip
            self._answer(200, {"results": rows})
        elif self.path == "/v1/feedback":
            self.state.feedback += 1
            self._answer(200, {"accepted": 1})
        else:
            self._answer(404, {"detail": "not found"})

    def _predict(self, body: dict[str, Any]) -> None:
        if self.state.broken:
            self._answer(500, {"detail": "broken on purpose"})
            return
        instances = body.get("instances", [])
        if not instances or not isinstance(instances[0].get("age"), int | float):
            self._answer(422, {"detail": "instances[0].age: a number is required"})
            return
        self.state.predictions += 1
        request_id = str(uuid.uuid4())
        if self.state.dropping:
            self._answer(202, {"request_id": request_id, "events": [request_id]})
            return
        self.state.acted[request_id] = time.time() + 0.02
        answer = {"probability": 0.3, "label": 0, "model": "m", "version": self.state.version}
        self._answer(200, {"request_id": request_id, "predictions": [answer]})

    def _hook(self, name: str) -> None:
        self.state.hooks.append(name)
        if name == "break":
            self.state.broken = True
        elif name == "alert":
            self.state.alert = True
        elif name == "drop":
            self.state.dropping = True
        elif name == "new-version":
            self.state.version = "2"
        elif name == "clear":
            self.state.broken = self.state.alert = self.state.dropping = False
            self.state.version = "1"
        elif name == "flaky-undo":
            self._answer(500, {"detail": "this undo fails on purpose"})
            return
        self._answer(200, {"done": name})


@contextmanager
def running_double() -> Iterator[tuple[str, DoubleState]]:
    """The double's base URL and its state, served on a free port until the block ends."""
    state = DoubleState()
    handler = type("Handler", (_Handler,), {"state": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", state
    finally:
        server.shutdown()
        server.server_close()


def double_rows(folder: Path, count: int = 200) -> Path:
    """A rows file the double accepts: an age, a job, a contact address (personal data),
    a group and a label."""
    path = folder / "double-rows.csv"
    jobs, groups = ("clerk", "nurse", "welder"), ("a", "a", "b")
    lines = ["age,job,email,group,label"] + [
        f"{20 + n % 50},{jobs[n % 3]},person{n}@example.invalid,{groups[n % 3]},{n % 2}"
        for n in range(count)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def double_descriptor(base: str, folder: Path, **changes: Any) -> Path:
    """Write the double's descriptor (with `changes` applied) and return its path."""
    credentials = folder / "double.env"
    credentials.write_text(f"DOUBLE_KEY={API_KEY}\n")
    data = DataSpec(rows=double_rows(folder), label="label", groups=["group"],
                    personal=["email"])  # fmt: skip
    hooks = [
        FaultHook(name="break", kind="http", target=f"{base}/hooks/break", undo="clear"),
        FaultHook(name="alert", kind="http", target=f"{base}/hooks/alert", undo="clear"),
        FaultHook(name="drop", kind="http", target=f"{base}/hooks/drop", undo="clear"),
        FaultHook(name="new-version", kind="http", target=f"{base}/hooks/new-version",
                  undo="clear"),
        FaultHook(name="stubborn", kind="http", target=f"{base}/hooks/break", undo="flaky-undo"),
        FaultHook(name="flaky-undo", kind="http", target=f"{base}/hooks/flaky-undo"),
        FaultHook(name="clear", kind="http", target=f"{base}/hooks/clear"),
        FaultHook(name="touch", kind="shell", target=f"touch {folder / 'touched'}"),
    ]  # fmt: skip
    fields: dict[str, Any] = {
        "name": "double", "architecture": "double", "pattern": Pattern.REAL_TIME,
        "profile": "test", "model": "m",
        "slos": SLOs(p99_latency_ms=250, error_rate=0.01, availability=0.99),
        "endpoints": Endpoints(predict=f"{base}/v1/models/{{model}}/predict",
                               health=f"{base}/healthz", metrics=f"{base}/metrics",
                               feedback=f"{base}/v1/feedback"),
        "credentials": Credentials(api_key_env="DOUBLE_KEY", env_file=credentials),
        "fault_hooks": hooks, "data": data,
    }  # fmt: skip
    fields.update(changes)
    return TargetDescriptor(**fields).write(folder / "double.yaml")
