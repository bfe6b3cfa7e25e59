"""Architecture: is the serving pattern matched to latency and cost requirements?"""

from typing import Any

from assessment.conventions import BUILT_FROM_SCHEMA
from assessment.probes import Evidence, Verdict, fails, judge, passes, unknown

SLO_CLASSES: dict[str, tuple[float, float]] = {
    "real-time": (0.0, 100.0),
    "streaming": (100.0, 1000.0),
    "edge": (0.0, 50.0),
}
"""The whitepaper's latency class of each pattern: p99 in [low, high) ms (streaming end to
end; a streaming SLO under 100 ms is allowed, it is simply stricter)."""

SCALE_STAGES: tuple[tuple[int, tuple[str, ...]], ...] = (
    (10_000, ("load-balancer",)),
    (1_000_000, ("autoscaling", "request-queue")),
    (100_000_000, ("multi-region", "model-parallelism", "caching")),
    (2**63, ("custom-silicon", "edge-pops", "caching")),
)
"""The whitepaper's scaling table: below each daily volume, the capabilities it needs."""


def stage_needs(requests_per_day: int) -> tuple[str, ...]:
    return next(needs for limit, needs in SCALE_STAGES if requests_per_day < limit)


def declares_pattern_and_slos(evidence: Evidence) -> Verdict:
    declared = evidence.value("descriptor")
    if declared is None:
        return unknown(evidence.why_missing("descriptor"))
    slos = declared.get("slos") or {}
    if declared.get("pattern") and slos.get("p99_latency_ms"):
        return passes(
            f"pattern {declared['pattern']}, p99 SLO {slos['p99_latency_ms']:g} ms, "
            f"error rate {slos.get('error_rate')}, availability "
            f"{slos.get('availability')}"
        )
    return fails("the descriptor declares no pattern or no p99 latency SLO")


def declares_scale_fitting_the_pattern(evidence: Evidence) -> Verdict:
    declared = evidence.value("descriptor")
    if declared is None:
        return unknown(evidence.why_missing("descriptor"))
    scale: dict[str, Any] | None = declared.get("scale")
    if not scale:
        return fails("no scale declared (scale.requests_per_day)")
    volume = int(scale["requests_per_day"])
    needs = stage_needs(volume)
    have = set(scale.get("capabilities") or [])
    missing = [need for need in needs if need not in have]
    return judge(
        not missing,
        f"{volume:,} requests/day: has {', '.join(needs)}",
        f"{volume:,} requests/day needs {', '.join(missing)} (declared: "
        f"{', '.join(sorted(have)) or 'none'})",
    )


def health_answers(evidence: Evidence) -> Verdict:
    health = evidence.value("health")
    if health is None:
        return unknown(evidence.why_missing("health"))
    statuses = {name: health.get(name) for name in ("health", "ready") if name in health}
    ok = all(status is not None and 200 <= status < 300 for status in statuses.values())
    shown = ", ".join(f"{name} {status}" for name, status in statuses.items())
    return judge(ok and "health" in statuses, shown, f"not all answer 2xx: {shown}")


def predicts_within_slo_at_low_load(evidence: Evidence) -> Verdict:
    declared, load = evidence.value("descriptor"), evidence.value("low_load")
    if load is None:
        return unknown(evidence.why_missing("low_load"))
    if declared is None:
        return unknown(evidence.why_missing("descriptor"))
    slo = float(declared["slos"]["p99_latency_ms"])
    if load["answered"] < load["requests"]:
        refused = load.get("refusals") or []
        built = load.get("rows") == BUILT_FROM_SCHEMA
        sent = ("of the one instance built from its request schema (no data.rows declared)"
                if built else "of valid rows")  # fmt: skip
        why = f"; it refused {'it' if built else 'valid rows'}: {refused[0]}" if refused else ""
        return fails(
            f"{load['answered']} of {load['requests']} predictions {sent} answered 2xx "
            f"(statuses {load['statuses']}){why}"
        )
    p99 = float(load["p99_ms"])
    return judge(
        p99 <= slo,
        f"p99 {p99:.1f} ms over {load['requests']} predictions (SLO {slo:g})",
        f"p99 {p99:.1f} ms exceeds the SLO of {slo:g} ms",
    )


def pattern_fits_slo_class(evidence: Evidence) -> Verdict:
    declared, load = evidence.value("descriptor"), evidence.value("low_load")
    if declared is None:
        return unknown(evidence.why_missing("descriptor"))
    pattern, slo = declared.get("pattern"), float(declared["slos"]["p99_latency_ms"])
    _, high = SLO_CLASSES.get(str(pattern), (0.0, 0.0))
    if slo > high:
        return fails(f"a p99 SLO of {slo:g} ms is outside the {pattern} class (<= {high:g} ms)")
    if load is None or load.get("p99_ms") is None:
        return unknown(f"the SLO fits the {pattern} class; {evidence.why_missing('low_load')}")
    p99 = float(load["p99_ms"])
    return judge(
        p99 <= high,
        f"{pattern}: SLO {slo:g} ms and measured p99 {p99:.1f} ms <= {high:g}",
        f"measured p99 {p99:.1f} ms is outside the {pattern} class (<= {high:g} ms)",
    )


def cost_per_prediction_measured(evidence: Evidence) -> Verdict:
    figures = evidence.value("scenario_metrics")
    if figures is None:
        return unknown(evidence.why_missing("scenario_metrics"))
    cost = figures.get("cpu_seconds_per_1k")
    if cost is None:
        return unknown(figures.get("cpu_seconds_per_1k_why") or "no CPU or cost samples")
    return passes(
        f"{cost:.3g} CPU seconds per 1,000 predictions at nominal load "
        f"({figures.get('cpu_seconds_per_1k_why', '')})"
    )
