"""The rollback probe reads the aliases the descriptor declares, not ours: a registry whose
team calls its champion `prod` is judged by `prod`, and one without it says which alias it
looked for (never "champion None"). The other scalability, reliability and cost probes read
the declared sections and the scraped counters, one case per outcome."""

from typing import Any

import pytest

from assessment.collectors.live import parse_families
from assessment.probes import Evidence
from assessment.probes.operations import (
    accelerator_busy_at_nominal_load,
    batching_effective,
    caching_effective,
    cost_shown_back_per_tenant,
    declares_cost_budget,
    declares_scale,
    declares_timeouts_and_retries,
    exports_utilisation_or_cost,
    fallback_path_exists,
    previous_version_kept_for_rollback,
    ready_endpoint_answers,
    replicas_or_autoscaling_configured,
)
from readiness.bundle import Outcome
from tests.assessment.probes.facts import (
    Case,
    Missing,
    collected,
    evidence_of,
    judged_as_expected,
)

APPROVED = {"tags": {"approval.by": "ana"}}


def evidence(registry: dict[str, Any]) -> Evidence:
    return evidence_of(
        "previous_version_kept_for_rollback",
        ("registry", "audit_store"),
        collected("registry", registry, "registry"),
    )


def registry(aliases: dict[str, str], names: dict[str, str] | None) -> dict[str, Any]:
    names = names or {"champion": "champion", "previous": "previous"}
    return {"model": "credit", "aliases": aliases, "alias_names": names,
            "roles": {role: aliases.get(name) for role, name in names.items()},
            "versions": {"1": APPROVED, "2": APPROVED}}  # fmt: skip


OURS = {"champion": "prod", "previous": "last-good"}
CASES = {
    "the team's own aliases, declared": (
        registry({"prod": "2", "last-good": "1"}, OURS), Outcome.PASS,
        "prod 2, last-good 1; approved, never withdrawn: 1"),
    "the team's own aliases, undeclared": (
        registry({"prod": "2", "last-good": "1"}, None), Outcome.NOT_AVAILABLE,
        "no version of credit carries the champion alias 'champion' (aliases: {'prod': '2', "
        "'last-good': '1'}); declare the alias that names what serves in registry.aliases"),
    "no alias at all": (
        registry({}, OURS), Outcome.NOT_AVAILABLE,
        "carries the champion alias 'prod' (aliases: none)"),
    "our default names": (
        registry({"champion": "2"}, None), Outcome.PASS, "champion 2, previous none"),
}  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_the_rollback_probe_reads_the_declared_aliases(case: str) -> None:
    value, outcome, detail = CASES[case]
    found = previous_version_kept_for_rollback(evidence(value))
    assert found.outcome is outcome, found.detail
    assert detail in found.detail
    assert "None" not in found.detail


REPLICAS = parse_families('# TYPE serve_replicas gauge\nserve_replicas{version="3"} 2\n')
ONE_REPLICA = parse_families('# TYPE serve_replicas gauge\nserve_replicas{version="3"} 1\n')
SERVED = parse_families("""# TYPE gateway_fallback_total counter
gateway_fallback_total{model="credit"} 0
# TYPE process_cpu_seconds_total counter
process_cpu_seconds_total 12.5
# TYPE gateway_cache_total counter
gateway_cache_total{result="hit"} 30
gateway_cache_total{result="miss"} 70
# TYPE gateway_batch_calls gauge
gateway_batch_calls{version="3"} 10
# TYPE gateway_batched_requests gauge
gateway_batched_requests{version="3"} 45
# TYPE gateway_requests_total counter
gateway_requests_total{tenant="acme",status="200"} 9
""")
BARE = parse_families('# TYPE http_requests_total counter\nhttp_requests_total{status="200"} 4\n')
COLD_CACHE = parse_families('# TYPE c_cache_total counter\nc_cache_total{result="miss"} 5\n')
IDLE_BATCHER = parse_families("# TYPE b_batch_calls gauge\nb_batch_calls 0\n"
                       "# TYPE b_batch_requests gauge\nb_batch_requests 0\n")  # fmt: skip
UNSCRAPED = Missing("the metrics endpoint answered 404")
OPERATIONS_CASES: dict[str, Case] = {
    "a daily volume and a peak": (
        declares_scale, {"descriptor": {"scale": {"requests_per_day": 80_000, "peak_rps": 40}}},
        Outcome.PASS, "80,000 requests/day, peak 40 req/s"),
    "no expected load": (
        declares_scale, {"descriptor": {}}, Outcome.FAIL, "no expected load declared (scale)"),
    "two replicas running": (
        replicas_or_autoscaling_configured, {"service_metrics": REPLICAS},
        Outcome.PASS, "2 replicas running, at most 0 declared"),
    "one replica but room to scale declared": (
        replicas_or_autoscaling_configured,
        {"service_metrics": ONE_REPLICA, "descriptor": {"scale": {"max_replicas": 4}}},
        Outcome.PASS, "1 replicas running, at most 4 declared"),
    "one replica and no more allowed": (
        replicas_or_autoscaling_configured, {"service_metrics": ONE_REPLICA},
        Outcome.FAIL, "1 replica running and no maximum above 1 declared"),
    "no replica count exported": (
        replicas_or_autoscaling_configured, {"service_metrics": BARE},
        Outcome.FAIL, "no replica count exported"),
    "nothing scraped": (
        replicas_or_autoscaling_configured, {"service_metrics": UNSCRAPED},
        Outcome.NOT_AVAILABLE, "the metrics endpoint answered 404"),
    "a timeout and retries": (
        declares_timeouts_and_retries,
        {"descriptor": {"resilience": {"timeout_s": 2, "retries": 3}}},
        Outcome.PASS, "timeout 2 s, 3 retries"),
    "no resilience section": (
        declares_timeouts_and_retries, {"descriptor": {}},
        Outcome.FAIL, "no timeouts or retries declared (resilience)"),
    "ready answers 200": (
        ready_endpoint_answers, {"health": {"ready": 200}}, Outcome.PASS, "ready answers 200"),
    "ready answers 503": (
        ready_endpoint_answers, {"health": {"ready": 503}}, Outcome.FAIL, "ready answers 503"),
    "no ready endpoint": (
        ready_endpoint_answers, {"health": {"health": 200}},
        Outcome.FAIL, "no readiness endpoint declared"),
    "a fallback counter": (
        fallback_path_exists, {"service_metrics": SERVED},
        Outcome.PASS, "fallback counter: gateway_fallback"),
    "no fallback counter": (
        fallback_path_exists, {"service_metrics": BARE},
        Outcome.FAIL, "no fallback counter among the metrics exported"),
    "a CPU budget": (
        declares_cost_budget, {"descriptor": {"cost": {"cpu_seconds_per_1k": 2.5}}},
        Outcome.PASS, "budget 2.5 CPU seconds per 1,000 predictions"),
    "no budget": (
        declares_cost_budget, {"descriptor": {}},
        Outcome.FAIL, "no cost budget declared (cost.cpu_seconds_per_1k)"),
    "CPU time exported": (
        exports_utilisation_or_cost, {"service_metrics": SERVED},
        Outcome.PASS, "utilisation or cost metric: process_cpu_seconds"),
    "no utilisation exported": (
        exports_utilisation_or_cost, {"service_metrics": BARE},
        Outcome.FAIL, "no utilisation or cost metric among the metrics exported"),
    "the cache hits": (
        caching_effective, {"service_metrics": SERVED},
        Outcome.PASS, "30 hits of 100 lookups (30%)"),
    "the cache never hits": (
        caching_effective, {"service_metrics": COLD_CACHE},
        Outcome.FAIL, "no cache hit in 5 lookups"),
    "no cache metric": (
        caching_effective, {"service_metrics": BARE}, Outcome.FAIL, "no cache metric exported"),
    "batches fill": (
        batching_effective, {"service_metrics": SERVED},
        Outcome.PASS, "45 requests in 10 calls: fill 4.50"),
    "the batcher made no call": (
        batching_effective, {"service_metrics": IDLE_BATCHER},
        Outcome.FAIL, "the batcher made no call"),
    "no batching counters": (
        batching_effective, {"service_metrics": BARE},
        Outcome.FAIL, "no batching measured (no *batch*_calls and *batch*_requests metrics)"),
    "an accelerator busy enough": (
        accelerator_busy_at_nominal_load, {"scenario_metrics": {"accelerator_busy": 0.72}},
        Outcome.PASS, "accelerator busy 72% at nominal load"),
    "an accelerator mostly idle": (
        accelerator_busy_at_nominal_load, {"scenario_metrics": {"accelerator_busy": 0.2}},
        Outcome.FAIL, "accelerator busy 20% < 60%"),
    "no accelerator at all": (
        accelerator_busy_at_nominal_load,
        {"scenario_metrics": {"accelerator_busy_why": "no GPU metric exported"}},
        Outcome.NOT_APPLICABLE, "no GPU metric exported"),
    "usage by tenant": (
        cost_shown_back_per_tenant, {"service_metrics": SERVED},
        Outcome.PASS, "usage by tenant: gateway_requests"),
    "no usage by tenant": (
        cost_shown_back_per_tenant, {"service_metrics": BARE},
        Outcome.FAIL, "no usage metric by tenant"),
}  # fmt: skip


@pytest.mark.parametrize("case", OPERATIONS_CASES, ids=list(OPERATIONS_CASES))
def test_each_operations_probe_judges_its_evidence(case: str) -> None:
    judged_as_expected(OPERATIONS_CASES[case])
