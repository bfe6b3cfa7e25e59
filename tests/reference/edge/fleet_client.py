"""A client of a deployed edge fleet, as a user's would be: real Adult rows through the
fleet's API (to one device when asked), the fleet's status, and the cloud's count of each
answered request, so a lost or duplicated telemetry record would show."""

import time
from typing import Any

import httpx

from readiness.descriptor import TargetDescriptor, load_descriptor
from readiness.home import Home
from reference.edge import supervision
from reference.platform.deploy.deployment_keys import API_KEY_ENV
from reference.platform.deploy.request_rows import client_rows

ROWS = [instance for instance, _ in client_rows()[:2000]]


def descriptor_of(home: Home) -> TargetDescriptor:
    return load_descriptor(supervision.folder(home) / "target.yaml")


def _headers(home: Home) -> dict[str, str]:
    credentials = supervision.folder(home) / "credentials.env"
    if not credentials.exists():
        return {}
    keys = dict(line.split("=", 1) for line in credentials.read_text().splitlines())
    return {"x-api-key": keys[API_KEY_ENV]}


def base_of(home: Home) -> str:
    return descriptor_of(home).endpoints.health.removesuffix("/healthz")


def predict(home: Home, count: int, device: str | None = None) -> list[dict[str, Any]]:
    """`count` single-row requests; their answers (status, request id, version, device)."""
    descriptor = descriptor_of(home)
    url = descriptor.endpoints.predict.format(model=descriptor.model)
    headers = {**_headers(home), **({"x-device": device} if device else {})}
    answers = []
    with httpx.Client(headers=headers, timeout=30) as client:
        for index in range(count):
            answer = client.post(url, json={"instances": [ROWS[index % len(ROWS)]]})
            body = answer.json() if answer.status_code == 200 else {}
            answers.append({
                "status": answer.status_code, "request_id": body.get("request_id"),
                "version": answer.headers.get("x-model-version"),
                "device": answer.headers.get("x-device"),
            })  # fmt: skip
    return answers


def fleet(home: Home) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = httpx.get(f"{base_of(home)}/v1/fleet", timeout=10).json()[
        "devices"
    ]
    return found


def logged(home: Home, request_ids: list[str]) -> dict[str, int]:
    """Prediction records the cloud holds per request id."""
    answer = httpx.post(f"{base_of(home)}/v1/results", json={"request_ids": request_ids},
                        headers=_headers(home), timeout=30)  # fmt: skip
    answer.raise_for_status()
    return {r["request_id"]: r["predictions"] for r in answer.json()["results"]}


def wait_for(condition: Any, timeout_s: float = 60.0, every_s: float = 0.5) -> Any:
    """Poll `condition()` until it returns something truthy; that, or the last falsy."""
    deadline = time.monotonic() + timeout_s
    while True:
        found = condition()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(every_s)


def metric_total(home: Home, name: str) -> float:
    """A metric summed over its devices and labels, from the fleet's federated endpoint."""
    text = httpx.get(f"{base_of(home)}/metrics", timeout=10).text
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith(name + "{"))  # fmt: skip
