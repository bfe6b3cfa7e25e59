"""Discovering a running system from its predict URL and its rows, for `readiness init`.

It finds what a person would look up by hand: the protocol the endpoint speaks (from the
URL, then by sending one row in each protocol until one is answered 2xx), the health,
readiness, metrics and OpenAPI routes beside it, whether a key is required, and the
request schema (`harness.system.sources`, the same chain the harness uses). It then sends
a few rows and says what was answered. Everything found, and everything not found, is
said in words a person can act on; nothing is guessed silently.
"""

import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from prometheus_client.parser import text_string_to_metric_families

from harness.system.instances import Column, InstanceSchema, Kind
from harness.system.loading import load_system
from harness.target import Target
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
from readiness.errors import InvalidDataset, TargetUnavailable

TIMEOUT = httpx.Timeout(5.0, connect=2.0)
CHECK_ROWS = 5
HEALTH_ROUTES = ("/health", "/healthz", "/ping", "/livez", "/v2/health/live", "/healthcheck")
READY_ROUTES = ("/ready", "/readyz", "/v2/health/ready", "/readiness", "/ping")
"""`/ping` last: SageMaker's and MLflow's, 200 once the model is loaded."""
METRICS_ROUTES = ("/metrics", "/metrics/")
OPENAPI_ROUTES = ("/openapi.json", "/docs/openapi.json", "/v1/openapi.json")
CANDIDATES: tuple[tuple[str, Protocol], ...] = (
    ("this project's API", Protocol()),
    ("MLflow dataframe_split", Protocol(kind=ProtocolKind.MLFLOW)),
    ("KServe V1 instances", Protocol(kind=ProtocolKind.KSERVE_V1)),
    ("Open Inference V2", Protocol(kind=ProtocolKind.OPEN_INFERENCE)),
    ("one row as the body", Protocol(kind=ProtocolKind.TEMPLATE, body="{{instance}}")),
)


@dataclass
class Discovery:
    predict_url: str
    model: str | None
    protocol: Protocol | None = None
    protocol_how: str = ""
    endpoints: dict[str, str] = field(default_factory=dict)
    auth_required: bool | None = None
    schema: InstanceSchema | None = None
    passed_over: list[str] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    answered: int = 0
    sent: int = 0
    p99_ms: float | None = None
    found: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def _base(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def protocol_from_url(url: str) -> tuple[Protocol | None, str | None, str]:
    """(protocol, model name, how it was told) read off the URL's path, where it says."""
    path = urlsplit(url).path
    if path.rstrip("/").endswith("/invocations"):
        return Protocol(kind=ProtocolKind.MLFLOW), None, "the path ends in /invocations (MLflow)"
    if match := re.search(r"/v2/models/([^/]+)(?:/versions/[^/]+)?/infer$", path):
        return (Protocol(kind=ProtocolKind.OPEN_INFERENCE), match[1],
                "the path is /v2/models/{m}/infer (Open Inference V2)")  # fmt: skip
    if match := re.search(r"/v1/models/([^/:]+):predict$", path):
        return Protocol(kind=ProtocolKind.KSERVE_V1), match[1], "the path is /v1/models/{m}:predict"
    if match := re.search(r"/v1/models/([^/]+)/predict$", path):
        return Protocol(), match[1], "the path is /v1/models/{m}/predict (this project's API)"
    return None, None, ""


def _get(client: httpx.Client, url: str, headers: dict[str, str]) -> httpx.Response | None:
    try:
        return client.get(url, headers=headers, follow_redirects=True)
    except httpx.HTTPError:
        return None


def _first_route(
    client: httpx.Client, base: str, routes: tuple[str, ...], headers: dict[str, str],
    accept: Any = None,
) -> str | None:  # fmt: skip
    for route in routes:
        answer = _get(client, base + route, headers)
        if answer is not None and answer.is_success and (accept is None or accept(answer)):
            return base + route
    return None


def _is_metrics(answer: httpx.Response) -> bool:
    try:
        return any(True for _ in text_string_to_metric_families(answer.text))
    except ValueError:
        return False


def _is_openapi(answer: httpx.Response) -> bool:
    try:
        document = answer.json()
    except ValueError:
        return False
    return isinstance(document, dict) and "paths" in document


def _descriptor(
    discovery: Discovery, data: DataSpec, registry: Registry | None, credentials: Credentials
) -> TargetDescriptor:
    endpoints = discovery.endpoints
    slo = max(100.0, round(3 * (discovery.p99_ms or 0), -1))
    host = urlsplit(discovery.predict_url).netloc.replace(":", "-")
    return TargetDescriptor(
        name=f"{discovery.model or host}", architecture="own", pattern=Pattern.REAL_TIME,
        profile="staging", model=discovery.model,
        slos=SLOs(p99_latency_ms=slo, error_rate=0.01, availability=0.99),
        endpoints=Endpoints(predict=discovery.predict_url,
                            health=endpoints.get("health", discovery.predict_url),
                            ready=endpoints.get("ready"), metrics=endpoints.get("metrics"),
                            openapi=endpoints.get("openapi")),
        protocol=discovery.protocol or Protocol(), data=data,
        credentials=credentials, registry=registry,
    )  # fmt: skip


def discover(
    predict_url: str,
    data: DataSpec,
    base_folder: Path,
    *,
    registry: Registry | None = None,
    model: str | None = None,
    credentials: Credentials | None = None,
) -> tuple[Discovery, TargetDescriptor]:
    """What the system at `predict_url` is, and a first descriptor of it; the key, where
    one is needed, is read from the variable `credentials.api_key_env` names.

    InvalidInput (exit 2) for rows that do not fit the schema found; TargetUnavailable
    (exit 1) when nothing answers at the URL's host."""
    credentials = credentials or Credentials()
    protocol, named_model, how = protocol_from_url(predict_url)
    discovery = Discovery(predict_url, model or named_model)
    base = _base(predict_url)
    if protocol is not None:
        discovery.protocol, discovery.protocol_how = protocol, how
    target = Target(_descriptor(discovery, data, registry, credentials),
                    base_folder / "discovered.yaml")  # fmt: skip
    headers = target.headers()
    with httpx.Client(timeout=TIMEOUT) as client:
        try:
            client.get(base + "/", follow_redirects=True)
        except httpx.HTTPError as error:
            raise TargetUnavailable(f"{base} did not answer: {error}") from error
        _routes(discovery, client, base, headers)
        system = load_system(target)
        _check_rows_fit(system.schema, system.instances())
        discovery.schema, discovery.passed_over = system.schema, system.passed_over
        row = system.instances(1)[0]
        if protocol is None:
            _find_protocol(discovery, client, row, headers)
        _auth(discovery, client, row, headers)
        if discovery.protocol is not None:
            target = Target(_descriptor(discovery, data, registry, credentials), target.path)
            system = load_system(target)
            _send_rows(discovery, client, system.adapter, system.instances(CHECK_ROWS), headers)
    _summarise(discovery)
    return discovery, _descriptor(discovery, data, registry, credentials)


def _routes(discovery: Discovery, client: httpx.Client, base: str, headers: dict[str, str]) -> None:
    model = discovery.model
    ready_routes = (*READY_ROUTES, *((f"/v2/models/{model}/ready",) if model else ()))
    found = {
        "health": _first_route(client, base, HEALTH_ROUTES, headers),
        "ready": _first_route(client, base, ready_routes, headers),
        "metrics": _first_route(client, base, METRICS_ROUTES, headers, _is_metrics),
        "openapi": _first_route(client, base, OPENAPI_ROUTES, headers, _is_openapi),
    }
    discovery.endpoints = {name: url for name, url in found.items() if url}
    for name, url in found.items():
        if url:
            discovery.found.append(f"{name}: {url}")
        else:
            discovery.missing.append(f"{name}: none of the usual routes answered 2xx")


def _find_protocol(
    discovery: Discovery, client: httpx.Client, row: dict[str, Any], headers: dict[str, str]
) -> None:
    from harness.system.protocols import Adapter

    assert discovery.schema is not None
    tried = []
    for name, protocol in CANDIDATES:
        body = Adapter(protocol, discovery.schema).body([row])
        try:
            answer = client.post(discovery.predict_url, json=body, headers=headers)
        except httpx.HTTPError as error:
            tried.append(f"{name}: {type(error).__name__}")
            continue
        if answer.is_success:
            discovery.protocol = protocol
            discovery.protocol_how = f"{name} was answered {answer.status_code}"
            return
        tried.append(f"{name}: {answer.status_code}")
    discovery.missing.append("protocol: no protocol tried was answered 2xx (" + "; ".join(tried)
                             + "); set protocol.kind, or a template body")  # fmt: skip


def _auth(
    discovery: Discovery, client: httpx.Client, row: dict[str, Any], headers: dict[str, str]
) -> None:
    if discovery.protocol is None or discovery.schema is None:
        return
    from harness.system.protocols import Adapter

    body = Adapter(discovery.protocol, discovery.schema).body([row])
    try:
        answer = client.post(discovery.predict_url, json=body)
    except httpx.HTTPError:
        return
    discovery.auth_required = answer.status_code in (401, 403)
    if discovery.auth_required:
        discovery.found.append(f"auth: a predict without a key is answered {answer.status_code}")
        if not headers:
            discovery.missing.append(
                "auth: a key is required; give it with --api-key-env VAR (and --auth-header, "
                "--auth-scheme where it is not sent as x-api-key)"
            )
    else:
        discovery.found.append(f"auth: none (a predict without a key is answered "
                               f"{answer.status_code})")  # fmt: skip


def _send_rows(
    discovery: Discovery, client: httpx.Client, adapter: Any, rows: list[dict[str, Any]],
    headers: dict[str, str],
) -> None:  # fmt: skip
    latencies = []
    for row in rows:
        started = time.perf_counter()
        try:
            answer = client.post(discovery.predict_url, json=adapter.body([row]), headers=headers)
        except httpx.HTTPError as error:
            key = type(error).__name__
        else:
            key = str(answer.status_code)
            if answer.is_success:
                discovery.answered += 1
                latencies.append((time.perf_counter() - started) * 1000)
            elif not discovery.missing or "first refusal" not in discovery.missing[-1]:
                discovery.missing.append(f"rows: first refusal {answer.status_code}: "
                                         f"{answer.text[:200]}")  # fmt: skip
        discovery.sent += 1
        discovery.statuses[key] = discovery.statuses.get(key, 0) + 1
    discovery.p99_ms = max(latencies) if latencies else None


def _summarise(discovery: Discovery) -> None:
    if discovery.protocol is not None:
        discovery.found.append(f"protocol: {discovery.protocol.kind} ({discovery.protocol_how})")
    if discovery.schema is not None:
        discovery.found.append(f"request schema: {len(discovery.schema.columns)} columns from "
                               f"{discovery.schema.source}")  # fmt: skip
        discovery.missing += [f"schema source {why}" for why in discovery.passed_over]
    if discovery.sent:
        discovery.found.append(f"rows: {discovery.answered} of {discovery.sent} answered 2xx "
                               f"({discovery.statuses})")  # fmt: skip


def _check_rows_fit(schema: InstanceSchema, rows: list[dict[str, Any]]) -> None:
    """InvalidDataset naming the column and the problem for rows that break the schema."""
    for column in schema.columns:
        values = [row.get(column.name) for row in rows]
        problem = _column_problem(column, values)
        if problem:
            raise InvalidDataset(f"data.rows: column '{column.name}' {problem} (the request "
                                 f"schema, from {schema.source}, says {column.kind})")  # fmt: skip


def _column_problem(column: Column, values: list[Any]) -> str | None:
    present = [v for v in values if v is not None]
    if not column.nullable and len(present) < len(values):
        return f"has {len(values) - len(present)} missing values where a value is required"
    if column.kind.numeric:
        bad = next((v for v in present if isinstance(v, bool) or not isinstance(v, int | float)),
                   None)  # fmt: skip
        if bad is not None:
            return f"holds {bad!r}, not a number"
        if column.kind is Kind.INTEGER:
            whole = next((v for v in present if isinstance(v, float) and not v.is_integer()), None)
            if whole is not None:
                return f"holds {whole!r}, not a whole number"
    if column.kind is Kind.CATEGORY and column.declared and column.categories:
        unseen = sorted({str(v) for v in present} - set(column.categories))
        if unseen:
            return f"holds categories the schema does not allow: {', '.join(unseen[:5])}"
    return None
