"""Scalability, reliability and cost: capacity, failure handling, and what it costs."""

from assessment.probes import (
    Evidence,
    Verdict,
    declared_section,
    fails,
    judge,
    not_applicable,
    unknown,
)
from assessment.probes.signals import (
    BATCH_CALLS,
    BATCHED_REQUESTS,
    CACHE,
    FALLBACK,
    REPLICAS,
    UTILISATION,
    exports,
    families,
    has_label,
    matching,
    names,
    samples,
)

ACCELERATOR_BUSY_TARGET = 0.6


def _service_families(evidence: Evidence) -> tuple[list[dict[str, object]], str]:
    scrape = evidence.value("service_metrics")
    if scrape is None:
        return [], evidence.why_missing("service_metrics")
    return families(scrape), ""


# ---------------------------------------------------------------- scalability


def declares_scale(evidence: Evidence) -> Verdict:
    return declared_section(
        evidence,
        "scale",
        "no expected load declared (scale)",
        lambda scale: (
            f"{scale['requests_per_day']:,} requests/day, peak {scale.get('peak_rps') or '?'} req/s"
        ),
    )


def replicas_or_autoscaling_configured(evidence: Evidence) -> Verdict:
    declared = evidence.value("descriptor")
    found, why = _service_families(evidence)
    if why:
        return unknown(why)
    gauges = matching(found, REPLICAS, "gauge")
    if not gauges:
        return fails("no replica count exported")
    running = sum(value for gauge in gauges for _, _, value in samples(gauge))
    most = ((declared or {}).get("scale") or {}).get("max_replicas") or 0
    return judge(
        running > 1 or most > 1,
        f"{running:g} replicas running, at most {most} declared",
        f"{running:g} replica running and no maximum above 1 declared",
    )


# ---------------------------------------------------------------- reliability


def declares_timeouts_and_retries(evidence: Evidence) -> Verdict:
    return declared_section(
        evidence,
        "resilience",
        "no timeouts or retries declared (resilience)",
        lambda declared: f"timeout {declared['timeout_s']:g} s, {declared['retries']} retries",
    )


def ready_endpoint_answers(evidence: Evidence) -> Verdict:
    health = evidence.value("health")
    if health is None:
        return unknown(evidence.why_missing("health"))
    status = health.get("ready")
    if status is None:
        return fails("no readiness endpoint declared")
    return judge(200 <= int(status) < 300, f"ready answers {status}", f"ready answers {status}")


def previous_version_kept_for_rollback(evidence: Evidence) -> Verdict:
    """A version counts as somewhere to roll back to when it is approved and was never
    itself rolled back (withdrawn) according to the deployment log."""
    registry = evidence.value("registry")
    if registry is None:
        return unknown(evidence.why_missing("registry"))
    audit = evidence.value("audit_store") or {}
    withdrawn = {
        str(e.get("from_version"))
        for e in audit.get("deployments", [])
        if e.get("action") == "rollback"
    }
    roles = registry.get("roles") or {
        "champion": registry.get("aliases", {}).get("champion"),
        "previous": registry.get("aliases", {}).get("previous"),
    }
    names = registry.get("alias_names") or {"champion": "champion", "previous": "previous"}
    champion = roles.get("champion")
    if champion is None:
        return unknown(f"no version of {registry.get('model')} carries the champion alias "
                       f"'{names['champion']}' (aliases: {registry.get('aliases') or 'none'}); "
                       "declare the alias that names what serves in registry.aliases")  # fmt: skip
    kept = sorted(
        version
        for version, record in registry.get("versions", {}).items()
        if version != champion
        and version not in withdrawn
        and record.get("tags", {}).get("approval.by")
    )
    previous = roles.get("previous")
    shown = f"{names['champion']} {champion}, {names['previous']} {previous or 'none'}"
    return judge(
        bool(kept),
        f"{shown}; approved, never withdrawn: {', '.join(kept)}",
        f"{shown}; no other approved version that was never rolled back from "
        f"(withdrawn: {', '.join(sorted(withdrawn)) or 'none'})",
    )


def fallback_path_exists(evidence: Evidence) -> Verdict:
    return exports(evidence, FALLBACK, "fallback counter", signal="fallback")


# ---------------------------------------------------------------- cost


def declares_cost_budget(evidence: Evidence) -> Verdict:
    return declared_section(
        evidence,
        "cost",
        "no cost budget declared (cost.cpu_seconds_per_1k)",
        lambda cost: f"budget {cost['cpu_seconds_per_1k']:g} CPU seconds per 1,000 predictions",
    )


def exports_utilisation_or_cost(evidence: Evidence) -> Verdict:
    return exports(evidence, UTILISATION, "utilisation or cost metric", signal="utilisation")


def caching_effective(evidence: Evidence) -> Verdict:
    found, why = _service_families(evidence)
    if why:
        return unknown(why)
    caches = matching(found, CACHE, "counter")
    if not caches:
        return fails("no cache metric exported")
    hits = sum(
        value
        for cache in caches
        for name, labels, value in samples(cache)
        if name.endswith("_total") and ("hit" in labels.values() or "hit" in name)
    )
    lookups = sum(
        value for cache in caches for name, _, value in samples(cache) if name.endswith("_total")
    )
    return judge(
        hits > 0,
        f"{hits:g} hits of {lookups:g} lookups ({hits / max(lookups, 1):.0%})",
        f"no cache hit in {lookups:g} lookups",
    )


def batching_effective(evidence: Evidence) -> Verdict:
    """Batch fill is measured from a pair of counters: the remote calls a batcher made
    (`*batch*_calls`) and the requests they carried (`*batch*_requests`)."""
    found, why = _service_families(evidence)
    if why:
        return unknown(why)
    call_counters, request_counters = (
        matching(found, BATCH_CALLS),
        matching(found, BATCHED_REQUESTS),
    )
    if not call_counters or not request_counters:
        return fails("no batching measured (no *batch*_calls and *batch*_requests metrics)")
    calls = sum(value for f in call_counters for _, _, value in samples(f))
    carried = sum(value for f in request_counters for _, _, value in samples(f))
    return judge(
        calls > 0,
        f"{carried:g} requests in {calls:g} calls: fill {carried / max(calls, 1):.2f}",
        "the batcher made no call",
    )


def accelerator_busy_at_nominal_load(evidence: Evidence) -> Verdict:
    figures = evidence.value("scenario_metrics")
    if figures is None:
        return unknown(evidence.why_missing("scenario_metrics"))
    busy = figures.get("accelerator_busy")
    if busy is None:
        return not_applicable(figures.get("accelerator_busy_why") or "no accelerator metric")
    return judge(
        busy >= ACCELERATOR_BUSY_TARGET,
        f"accelerator busy {busy:.0%} at nominal load",
        f"accelerator busy {busy:.0%} < {ACCELERATOR_BUSY_TARGET:.0%}",
    )


def cost_shown_back_per_tenant(evidence: Evidence) -> Verdict:
    found, why = _service_families(evidence)
    if why:
        return unknown(why)
    hits = [f for f in found if f.get("type") == "counter" and has_label(f, "tenant")]
    return judge(bool(hits), f"usage by tenant: {names(hits)}", "no usage metric by tenant")
