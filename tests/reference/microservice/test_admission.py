"""Early refusal: a tenant over its limit is answered before the gateway runs."""

import asyncio
from collections.abc import MutableMapping
from typing import Any

from reference.microservice.admission import EarlyRefusal
from reference.platform.serving.auth import KeyStore, TenantKey, hash_key, new_key
from reference.platform.serving.ratelimit import RateLimit, TenantLimiter
from tests.examples import FakeClock

KEY = new_key()
KEYS = KeyStore([TenantKey(tenant="acme", key_hash=hash_key(KEY), models=frozenset({"m"}))])


class Gateway:
    """Stands for the gateway: records what reached it and answers 200."""

    def __init__(self) -> None:
        self.reached: list[str] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.reached.append(scope["path"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})


def call(front: EarlyRefusal, path: str, key: str | None = KEY) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []
    headers = [(b"x-api-key", key.encode())] if key else []
    scope = {"type": "http", "method": "POST", "path": path, "headers": headers}

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(dict(message))

    asyncio.run(front(scope, receive, send))
    return sent


def front_with(gateway: Gateway) -> EarlyRefusal:
    limiter = TenantLimiter({"acme": RateLimit(rate=1, burst=1)}, FakeClock())
    limiter.take("acme", 1)  # the bucket is empty now and the clock never moves
    return EarlyRefusal(gateway, KEYS, limiter, None, "x-api-key")


def test_a_tenant_with_an_empty_bucket_is_refused_without_reaching_the_gateway() -> None:
    gateway = Gateway()
    start, _ = call(front_with(gateway), "/v1/models/m/predict")
    assert start["status"] == 429
    assert (b"retry-after", b"1") in start["headers"]
    assert gateway.reached == []


def test_everything_else_goes_on_to_the_gateway() -> None:
    gateway = Gateway()
    front = front_with(gateway)
    call(front, "/v1/models/m/predict", key=None)  # the gateway says 401
    call(front, "/v1/models/other/predict")  # the gateway says 403
    call(front, "/healthz")
    assert gateway.reached == ["/v1/models/m/predict", "/v1/models/other/predict", "/healthz"]
