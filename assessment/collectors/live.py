"""The target, live: its health, a few predictions at low load, its access control and
input validation (the harness's security checks, with a short malformed campaign), one
explanation, the request schema it publishes and its metrics endpoints. Everything through the
descriptor's endpoints and credentials, with the system's own rows in its own protocol,
as for any user's system."""

from collections import Counter
from typing import Any

import httpx
import numpy as np
from prometheus_client.parser import text_string_to_metric_families

from assessment.collectors import Provenances
from assessment.conventions import BUILT_FROM_SCHEMA, MODEL_INFO, OWN_ROWS
from assessment.facts import Fact
from harness.security.probes import TIMEOUT, run_security_probes
from harness.system.loading import System, load_system
from harness.target import Target
from readiness.errors import InvalidInput

PROVIDES = (
    "health",
    "low_load",
    "access_control",
    "input_validation",
    "explanation",
    "request_schema",
    "service_metrics",
    "monitor_metrics",
    "model_info",
)
LOW_LOAD_REQUESTS = 30
LOW_LOAD_WARMUP = 3
"""Predictions sent before the measured ones and not timed: a freshly started service pays
its first-request costs (connections, lazy loads) on them. Measured on the reference
microservice, just deployed, in seven deployments of one build (tests/assessment/
test_mutations.py, 2026-12-03): without a warm-up the p99 of 30 ranged 51-125 ms (p50
10-17 ms) and failed a 100 ms SLO in two; with three, 6-60 ms (p50 3-9 ms). A cold start is
a scenario's concern, not low-load latency."""
REFUSALS_KEPT = 3
"""Refusals of valid rows quoted in the fact: enough to see whether they differ."""
FUZZ_REQUESTS = 40
"""A short campaign for the level-4 check; the security-probes scenario runs the long one."""


def collect_live(target: Target, stamp: Provenances, seed: int = 0) -> list[Fact]:
    try:
        system = load_system(target)
    except InvalidInput as problem:  # no rows and no schema: nothing valid can be sent
        with httpx.Client(timeout=TIMEOUT) as client:
            health = _health(target, client, stamp)
        scraped = ("health", "service_metrics", "monitor_metrics", "model_info")
        missing = [stamp.unavailable(name, "descriptor", str(problem)) for name in PROVIDES
                   if name not in scraped]  # fmt: skip
        return [health, *missing, *_metrics(target, stamp)]
    with httpx.Client(timeout=TIMEOUT) as client:
        facts = [
            _health(target, client, stamp),
            _request_schema(system, stamp),
            _low_load(system, client, stamp),
            _explanation(system, client, stamp),
        ]
    facts += _security(system, stamp, seed)
    return facts + _metrics(target, stamp)


def _metrics(target: Target, stamp: Provenances) -> list[Fact]:
    service = _scrape(target, "metrics", "service_metrics", stamp)
    return [
        service,
        _scrape(target, "monitor_metrics", "monitor_metrics", stamp),
        _model_info(service, stamp),
    ]


def _health(target: Target, client: httpx.Client, stamp: Provenances) -> Fact:
    statuses: dict[str, int | None] = {}
    for endpoint in ("health", "ready"):
        if not target.has(endpoint):
            continue
        try:
            statuses[endpoint] = client.get(target.url(endpoint), follow_redirects=True).status_code
        except httpx.HTTPError:
            statuses[endpoint] = None
    return stamp.fact("health", target.url("health"), statuses)


def _low_load(system: System, client: httpx.Client, stamp: Provenances) -> Fact:
    """Sequential predictions, each of another of the system's rows (so a cache cannot
    answer them; a system without rows is sent its built instance each time, and the fact
    says so); a 4xx on a valid row is a failure like any other, said as such."""
    target = system.target
    url = target.url("predict")
    latencies, statuses, versions, ids = [], Counter[str](), set(), []
    refusals: list[str] = []
    rows = system.instances(LOW_LOAD_WARMUP + LOW_LOAD_REQUESTS)

    def predict(instance: dict[str, Any]) -> httpx.Response:
        return client.post(url, json=system.adapter.body([instance]), headers=target.headers())

    warmup = Counter[str]()
    for instance in rows[:LOW_LOAD_WARMUP]:
        try:
            warmup[str(predict(instance).status_code)] += 1
        except httpx.HTTPError as error:
            warmup[type(error).__name__] += 1
    for instance in rows[LOW_LOAD_WARMUP:]:
        try:
            answer = predict(instance)
        except httpx.HTTPError as error:
            statuses[type(error).__name__] += 1
            continue
        statuses[str(answer.status_code)] += 1
        if answer.is_success:
            latencies.append(answer.elapsed.total_seconds() * 1000)
            read = system.adapter.read(_json(answer), dict(answer.headers))
            versions |= {read.version} if read.version else set()
            ids += [read.request_id] if read.request_id else []
        elif 400 <= answer.status_code < 500 and len(refusals) < REFUSALS_KEPT:
            refusals.append(f"{answer.status_code} {answer.text[:200]}")
    value = {
        "requests": LOW_LOAD_REQUESTS,
        "warmup_statuses": dict(warmup),
        "answered": len(latencies),
        "statuses": dict(statuses),
        "p50_ms": round(float(np.quantile(latencies, 0.5)), 3) if latencies else None,
        "p99_ms": round(float(np.quantile(latencies, 0.99)), 3) if latencies else None,
        "versions": sorted(versions),
        "request_ids": ids,
        "refusals": refusals,
        "rows": OWN_ROWS if system.traffic else BUILT_FROM_SCHEMA,
    }
    return stamp.fact("low_load", url, value)


def _json(answer: httpx.Response) -> Any:
    try:
        return answer.json()
    except ValueError:
        return None


def _explanation(system: System, client: httpx.Client, stamp: Provenances) -> Fact:
    target = system.target
    if not target.has("explain"):
        return stamp.unavailable("explanation", "descriptor", "no explain endpoint declared")
    url = target.url("explain")
    body = system.adapter.body(system.instances(1))
    try:
        answer = client.post(url, json=body, headers=target.headers(), timeout=30.0)
    except httpx.HTTPError as error:
        return stamp.error("explanation", url, error)
    found = _json(answer) if answer.is_success else None
    explanations = found.get("explanations") if isinstance(found, dict) else None
    return stamp.fact(
        "explanation", url, {"status": answer.status_code, "explanations": explanations}
    )


def _request_schema(system: System, stamp: Provenances) -> Fact:
    """Where the request schema came from (the first of the descriptor's JSON Schema file,
    the model signature, the Open Inference metadata, the OpenAPI body, else the rows) and
    the fields it requires; the sources passed over say why."""
    schema, target = system.schema, system.target
    where = "openapi" if schema.source == "openapi" else "predict"
    return stamp.fact("request_schema", target.url(where), {
        "source": schema.source,
        "predict": target.url("predict"),
        "required_fields": [column.name for column in schema.columns if not column.nullable],
        "columns": len(schema.columns),
        "passed_over": system.passed_over,
    })  # fmt: skip


def _security(system: System, stamp: Provenances, seed: int) -> list[Fact]:
    url = system.target.url("predict")
    try:
        report = run_security_probes(system, fuzz_requests=FUZZ_REQUESTS, seed=seed)
    except Exception as error:  # the target fell over mid-check: that is the fact
        return [
            stamp.error("access_control", url, error),
            stamp.error("input_validation", url, error),
        ]
    checks = {
        c.name: {
            "outcome": str(c.outcome),
            "observed": c.observed,
            "detail": c.detail or f"answered {c.observed}",
        }
        for c in report.checks
    }
    fuzz = report.fuzz
    campaign = {
        "requests": fuzz.requests,
        "status_counts": {str(k): v for k, v in fuzz.status_counts.items()},
        "server_errors": fuzz.server_errors,
        "transport_errors": fuzz.transport_errors,
        "accepted_invalid": fuzz.accepted_invalid,
        "schema_source": fuzz.schema_source,
        "health_after": fuzz.health_after,
    }
    return [
        stamp.fact("access_control", url, checks),
        stamp.fact("input_validation", url, campaign),
    ]


def parse_families(text: str) -> list[dict[str, Any]]:
    return [
        {
            "name": family.name,
            "type": family.type,
            "samples": [[s.name, dict(s.labels), s.value] for s in family.samples],
        }
        for family in text_string_to_metric_families(text)
    ]


def _scrape(target: Target, endpoint: str, name: str, stamp: Provenances) -> Fact:
    if not target.has(endpoint):
        return stamp.unavailable(name, "descriptor", f"no {endpoint} endpoint declared")
    url = target.url(endpoint)
    try:
        answer = httpx.get(url, headers=target.headers(), timeout=10.0, follow_redirects=True)
        answer.raise_for_status()
        return stamp.fact(name, url, parse_families(answer.text))
    except (httpx.HTTPError, ValueError) as error:
        return stamp.unavailable(name, url, f"{url} did not answer metrics: {error}")


def _model_info(service: Fact, stamp: Provenances) -> Fact:
    source = service.provenance.source
    if not service.collected:
        return stamp.unavailable("model_info", source, service.reason)
    entries = [
        {
            "model": labels.get("model", ""),
            "version": labels.get("version", ""),
            "sha256": labels.get("sha256", ""),
        }
        for family in service.value
        if MODEL_INFO.search(family["name"])
        for _, labels, value in family["samples"]
        if value
    ]
    if not entries:
        return stamp.unavailable(
            "model_info",
            source,
            "no *_model_info metric names the served artifact's version and sha256",
        )
    return stamp.fact("model_info", source, entries)
