"""Early refusal: a tenant whose bucket is empty gets its 429 before the framework runs.

A tenant that keeps sending after its 429s must cost the gateway as little as possible, or
its refused requests alone would slow every other tenant down (noisy-neighbour isolation).
This ASGI app wraps the whole gateway (`app.state.front` is what the server runs) and looks
only at the path and the API key header, so a refusal costs a hash and a bucket check, not
the framework's middleware, routing, body parsing and validation. Everything it does not
refuse goes on to the gateway, which checks it all again and spends the tokens.
"""

import json
import re
import time
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from reference.microservice.metrics import GatewayMetrics
from reference.platform.serving.auth import KeyStore
from reference.platform.serving.ratelimit import TenantLimiter

LIMITED_PATH = re.compile(r"^/v1/models/([^/]+)/(predict|explain)$")


class EarlyRefusal:
    def __init__(
        self,
        app: ASGIApp,
        keys: KeyStore,
        limiter: TenantLimiter,
        metrics: GatewayMetrics | None,
        key_header: str,
    ) -> None:
        self.app, self.keys, self.limiter, self.metrics = app, keys, limiter, metrics
        self.key_header = key_header.lower().encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        matched = LIMITED_PATH.match(scope["path"])
        if matched is None:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        presented = next((v for k, v in scope["headers"] if k == self.key_header), None)
        identity = self.keys.identify(presented.decode("latin-1") if presented else None)
        if identity is None or not identity.may_call(matched.group(1)):
            await self.app(scope, receive, send)  # the gateway explains the 401/403
            return
        decision = self.limiter.check(identity.tenant, 1)
        if decision.allowed or decision.never:  # the gateway explains a request too large
            await self.app(scope, receive, send)
            return
        detail = f"{decision.reason} for tenant '{identity.tenant}'"
        await _answer(send, 429, {"detail": detail}, decision.retry_after_header)
        if self.metrics is not None:
            model, route = matched.group(1), matched.group(2)
            self.metrics.requests.labels(route, model, "", identity.tenant, "429").inc()
            self.metrics.latency.labels(route, model, "", identity.tenant).observe(
                time.perf_counter() - started
            )


async def _answer(send: Send, status: int, body: dict[str, Any], retry_after: str) -> None:
    payload = json.dumps(body).encode()
    await send({
        "type": "http.response.start", "status": status,
        "headers": [(b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                    (b"retry-after", retry_after.encode())],
    })  # fmt: skip
    await send({"type": "http.response.body", "body": payload})
