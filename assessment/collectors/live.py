"""The target, live: its health, a few predictions at low load, its access control and
input validation (the harness's security checks, with a short malformed campaign), one
explanation, its OpenAPI document and its metrics endpoints. Everything through the
descriptor's endpoints and credentials, as for any user's system."""

import copy
from collections import Counter
from typing import Any

import httpx
import numpy as np
from prometheus_client.parser import text_string_to_metric_families

from assessment.collectors import Provenances
from assessment.facts import Fact
from assessment.probes.signals import MODEL_INFO
from harness.security.generation import FuzzPlan, branches
from harness.security.probes import TIMEOUT, fetch_plan, run_security_probes
from harness.target import Target

PROVIDES = (
    "health",
    "low_load",
    "access_control",
    "input_validation",
    "explanation",
    "openapi",
    "service_metrics",
    "monitor_metrics",
    "model_info",
)
LOW_LOAD_REQUESTS = 30
FUZZ_REQUESTS = 40
"""A short campaign for the level-4 check; the security-probes scenario runs the long one."""


def collect_live(target: Target, stamp: Provenances, seed: int = 0) -> list[Fact]:
    with httpx.Client(timeout=TIMEOUT) as client:
        plan = fetch_plan(target, client)
        facts = [
            _health(target, client, stamp),
            _openapi(target, plan, stamp),
            _low_load(target, client, plan, stamp),
            _explanation(target, client, plan, stamp),
        ]
    facts += _security(target, stamp, seed)
    service = _scrape(target, "metrics", "service_metrics", stamp)
    facts += [
        service,
        _scrape(target, "monitor_metrics", "monitor_metrics", stamp),
        _model_info(service, stamp),
    ]
    return facts


def _health(target: Target, client: httpx.Client, stamp: Provenances) -> Fact:
    statuses: dict[str, int | None] = {}
    for endpoint in ("health", "ready"):
        if not target.has(endpoint):
            continue
        try:
            statuses[endpoint] = client.get(target.url(endpoint)).status_code
        except httpx.HTTPError:
            statuses[endpoint] = None
    return stamp.fact("health", target.url("health"), statuses)


def _body(plan: FuzzPlan, variant: int = 0) -> dict[str, Any]:
    """A body of the plan's valid instance; `variant` is added to its largest integer
    field (a weight, an amount: far from any bound), so consecutive bodies differ and no
    cache answers them."""
    instance = copy.deepcopy(plan.instance)
    numeric = [k for k, v in instance.items() if isinstance(v, int) and not isinstance(v, bool)]
    if numeric and variant:
        widest = max(numeric, key=lambda k: abs(int(instance[k])))
        instance[widest] = int(instance[widest]) + variant
    return {plan.list_key: [instance]} if plan.list_key else instance


def _low_load(target: Target, client: httpx.Client, plan: FuzzPlan, stamp: Provenances) -> Fact:
    """Sequential predictions, each a new instance (so a cache cannot answer them)."""
    url = target.url("predict")
    latencies, statuses, versions, ids = [], Counter[str](), set(), []
    for index in range(LOW_LOAD_REQUESTS):
        try:
            answer = client.post(url, json=_body(plan, index), headers=target.headers())
        except httpx.HTTPError as error:
            statuses[type(error).__name__] += 1
            continue
        statuses[str(answer.status_code)] += 1
        if answer.is_success:
            latencies.append(answer.elapsed.total_seconds() * 1000)
            versions |= _versions(answer)
            ids += _request_id(answer)
    value = {
        "requests": LOW_LOAD_REQUESTS,
        "answered": len(latencies),
        "statuses": dict(statuses),
        "p50_ms": round(float(np.quantile(latencies, 0.5)), 3) if latencies else None,
        "p99_ms": round(float(np.quantile(latencies, 0.99)), 3) if latencies else None,
        "versions": sorted(versions),
        "request_ids": ids,
    }
    return stamp.fact("low_load", url, value)


def _request_id(answer: httpx.Response) -> list[str]:
    try:
        found = answer.json().get("request_id")
    except (ValueError, AttributeError):
        return []
    return [str(found)] if found else []


def _versions(answer: httpx.Response) -> set[str]:
    try:
        body = answer.json()
        return {str(p["version"]) for p in body.get("predictions", []) if "version" in p}
    except (ValueError, AttributeError, TypeError):
        header = answer.headers.get("x-model-version")
        return {header} if header else set()


def _explanation(target: Target, client: httpx.Client, plan: FuzzPlan, stamp: Provenances) -> Fact:
    if not target.has("explain"):
        return stamp.unavailable("explanation", "descriptor", "no explain endpoint declared")
    url = target.url("explain")
    try:
        answer = client.post(url, json=_body(plan), headers=target.headers(), timeout=30.0)
    except httpx.HTTPError as error:
        return stamp.error("explanation", url, error)
    try:
        explanations = answer.json().get("explanations") if answer.is_success else None
    except ValueError:
        explanations = None
    return stamp.fact(
        "explanation", url, {"status": answer.status_code, "explanations": explanations}
    )


def _openapi(target: Target, plan: FuzzPlan, stamp: Provenances) -> Fact:
    if not target.has("openapi"):
        return stamp.unavailable("openapi", "descriptor", "no openapi endpoint declared")
    url = target.url("openapi")
    if plan.source != "openapi":
        return stamp.fact(
            "openapi",
            url,
            {"path": target.url("predict"), "predict_request": None, "problem": plan.source},
        )
    fields = {name for branch in branches(plan.items) for name in branch.get("required", [])}
    required = sorted(fields)
    return stamp.fact(
        "openapi",
        url,
        {
            "path": target.url("predict"),
            "list_key": plan.list_key,
            "max_items": plan.max_items,
            "predict_request": {"required_fields": required},
        },
    )


def _security(target: Target, stamp: Provenances, seed: int) -> list[Fact]:
    url = target.url("predict")
    try:
        report = run_security_probes(target, fuzz_requests=FUZZ_REQUESTS, seed=seed)
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
        answer = httpx.get(url, headers=target.headers(), timeout=10.0)
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
