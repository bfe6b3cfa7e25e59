"""Reading scraped metrics by convention, so any Prometheus-instrumented system can be
judged, not only ours: a signal is found by its family's type, a pattern in its name and
the labels it carries (documented in `docs/probes.md`). The patterns recognise the common
exporters out of the box (prometheus-fastapi-instrumentator, Ray Serve, KServe, Triton,
MLServer, BentoML, TorchServe); a descriptor maps any other name in `conventions.metrics`
(signal -> family name), and a mapped family counts whatever its name.

A scraped endpoint is stored as a list of families: `{"name", "type", "samples": [[sample
name, labels, value], ...]}` (prometheus_client's parser, counters without `_total`).
"""

import re
from collections.abc import Iterable, Iterator
from typing import Any

from assessment.probes import Evidence, Verdict, judge, unknown

Family = dict[str, Any]

LATENCY = re.compile(r"latency|duration|request_\w*seconds")
LATENCY_TYPES = ("histogram", "summary")
REQUESTS = re.compile(r"request")
STATUS_LABELS = ("status", "code", "status_code", "http_response_code", "response_code",
                 "http_status")  # fmt: skip
"""Ours and most exporters' `status`/`status_code`; BentoML's `http_response_code`."""
REQUEST_OUTCOMES = re.compile(r"request_(?:success|failure)")
"""Triton counts successes and failures in two families instead of a status label."""
DRIFT = re.compile(r"psi|drift")
DATA_QUALITY = re.compile(r"data_quality|schema_change")
MODEL_QUALITY = re.compile(r"accuracy|auc|f1|precision|recall")
REPLICAS = re.compile(r"replicas")
FALLBACK = re.compile(r"fallback")
UTILISATION = re.compile(r"process_cpu_seconds|utili[sz]ation|busy|cost")
CACHE = re.compile(r"cache")
BATCH_CALLS = re.compile(r"batch\w*_calls")
BATCHED_REQUESTS = re.compile(r"batch\w*_requests")


def families(*scrapes: Any) -> list[Family]:
    """The families of every scrape given (None, for an endpoint not scraped, is skipped)."""
    found: list[Family] = []
    for scrape in scrapes:
        if isinstance(scrape, list):
            found += [f for f in scrape if isinstance(f, dict)]
    return found


def matching(found: Iterable[Family], pattern: re.Pattern[str], *types: str) -> list[Family]:
    return [
        f
        for f in found
        if pattern.search(str(f.get("name", ""))) and (not types or f.get("type") in types)
    ]


def samples(family: Family) -> Iterator[tuple[str, dict[str, str], float]]:
    for name, labels, value in family.get("samples", []):
        yield str(name), dict(labels), float(value)


def has_label(family: Family, *labels: str) -> bool:
    return any(label in found for _, found, _ in samples(family) for label in labels)


def total(family: Family, suffix: str = "", **labels: str) -> float:
    """The sum of the family's samples named `<family><suffix>` with these label values."""
    wanted = f"{family.get('name')}{suffix}"
    return sum(
        value
        for name, found, value in samples(family)
        if name == wanted and all(found.get(k) == v for k, v in labels.items())
    )


def names(found: Iterable[Family]) -> str:
    listed = sorted({str(f.get("name")) for f in found})
    return ", ".join(listed) if listed else "none"


def mapped_name(evidence: Evidence, signal: str | None) -> str | None:
    """The family name the descriptor maps `signal` to (`conventions.metrics`), if any."""
    if signal is None or "descriptor" not in evidence.declared:
        return None
    declared = evidence.value("descriptor") or {}
    mapped = ((declared.get("conventions") or {}).get("metrics") or {}).get(signal)
    return str(mapped) if mapped else None


def _named(found: Iterable[Family], name: str) -> list[Family]:
    """Families called `name`, written with or without the counter's `_total`."""
    bare = name.removesuffix("_total")
    return [f for f in found if str(f.get("name", "")) in (name, bare)]


def exports(
    evidence: Evidence,
    pattern: re.Pattern[str],
    what: str,
    *,
    endpoints: tuple[str, ...] = ("service_metrics",),
    types: tuple[str, ...] = (),
    labels: tuple[str, ...] = (),
    signal: str | None = None,
) -> Verdict:
    """Whether the scraped `endpoints` export a family matching `pattern` (of one of
    `types`, carrying one of `labels`), or the family the descriptor maps `signal` to;
    unknown when none of them was scraped."""
    scrapes = [evidence.value(name) for name in endpoints]
    if all(scrape is None for scrape in scrapes):
        return unknown("; ".join(evidence.why_missing(name) for name in endpoints))
    found = families(*scrapes)
    mapped = mapped_name(evidence, signal)
    if mapped is not None:
        hits = _named(found, mapped)
        missing = f"the descriptor maps {signal} to {mapped}, which is not exported"
        return judge(bool(hits), f"{what}: {mapped} (as the descriptor maps it)", missing)
    hits = [f for f in matching(found, pattern, *types) if not labels or has_label(f, *labels)]
    return judge(bool(hits), f"{what}: {names(hits)}", f"no {what} among the metrics exported")
