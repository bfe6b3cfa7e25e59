"""The evidence bundle's own facts, read when assessing: each scenario's expectations, the
figures computed from the scenarios' metric samples, and the bundle's digests."""

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from assessment.collectors import Provenances
from assessment.conventions import ACCELERATOR_BUSY, CPU_SECONDS, KNOWN_REQUEST_COUNTERS
from assessment.facts import Fact
from readiness.bundle import DIGESTS_FILE, MANIFEST_FILE, Manifest, check_seal
from readiness.errors import InvalidInput

PROVIDES = ("scenarios", "scenario_metrics", "bundle_digests")
NOMINAL_SCENARIO = "steady-state"


def bundle_facts(bundle: Path, manifest: Manifest, facts: Sequence[Fact] = ()) -> list[Fact]:
    """`facts`: those already read from the bundle (the descriptor among them names the
    system's own request counter, where it maps one)."""
    # The bundle's facts are as old as the run: stamped with its end, not with now, so the
    # same bundle always gives the same assessment.
    stamp = Provenances(
        "bundle", manifest.target.digest if manifest.target else "", manifest.code_version,
        observed_at=manifest.ended or manifest.started,
    )  # fmt: skip
    return [
        stamp.fact("scenarios", str(bundle / MANIFEST_FILE), scenario_runs(manifest)),
        stamp.fact(
            "scenario_metrics",
            str(bundle / "timeseries"),
            scenario_figures(bundle, _mapped_requests(facts)),
        ),
        _digests(stamp, bundle),
    ]


def scenario_runs(manifest: Manifest) -> dict[str, Any]:
    files = {entry.name: entry.sha256 for entry in manifest.scenarios}
    return {
        result.name: {
            "status": str(result.status),
            "sha256": files.get(result.name, ""),
            "expectations": [e.model_dump(mode="json") for e in result.expectations],
        }
        for result in manifest.results
    }


def _mapped_requests(facts: Sequence[Fact]) -> str | None:
    descriptor = next((f.value for f in facts if f.name == "descriptor" and f.collected), None)
    mapped = (((descriptor or {}).get("conventions") or {}).get("metrics") or {}).get("requests")
    return f"{str(mapped).removesuffix('_total')}_total" if mapped else None


def request_counter(samples: pd.DataFrame, mapped: str | None = None) -> str | None:
    """The request counter among the samples: the descriptor's, else the first known one
    (`conventions.KNOWN_REQUEST_COUNTERS`) the target exports."""
    exported = set(samples.loc[samples["source"] == "metrics", "metric"])
    candidates = [mapped] if mapped else list(KNOWN_REQUEST_COUNTERS)
    return next((name for name in candidates if name in exported), None)


def scenario_figures(bundle: Path, mapped: str | None = None) -> dict[str, Any]:
    """CPU seconds per 1,000 predictions and accelerator busy fraction at nominal load,
    from the steady-state scenario's samples; each None with the reason when unmeasurable."""
    figures: dict[str, Any] = {"cpu_seconds_per_1k": None, "accelerator_busy": None}
    path = bundle / "timeseries" / f"{NOMINAL_SCENARIO}.parquet"
    if not path.exists():
        why = f"the {NOMINAL_SCENARIO} scenario's samples are not in the bundle"
        return {**figures, "cpu_seconds_per_1k_why": why, "accelerator_busy_why": why}
    samples = pd.read_parquet(path)
    counter = request_counter(samples, mapped)
    cpu = _increase(samples, f"{CPU_SECONDS}_total")
    requests = _increase(samples, counter) if counter else None
    if cpu is None or not requests:
        known = mapped or ", ".join(KNOWN_REQUEST_COUNTERS)
        figures["cpu_seconds_per_1k_why"] = (
            f"{NOMINAL_SCENARIO} samples lack {CPU_SECONDS}_total or a request counter "
            f"({known}; map another in conventions.metrics.requests)"
        )
    else:
        figures["cpu_seconds_per_1k"] = round(cpu / requests * 1000, 4)
        figures["cpu_seconds_per_1k_why"] = (
            f"{cpu:.2f} CPU s of the serving process for {requests:,.0f} requests"
        )
    busy = samples[samples["metric"].str.contains(ACCELERATOR_BUSY)]
    if busy.empty:
        figures["accelerator_busy_why"] = "no accelerator utilisation exported (no accelerator)"
    else:
        figures["accelerator_busy"] = round(float(busy["value"].mean()), 4)
    return figures


def _increase(samples: pd.DataFrame, metric: str) -> float | None:
    """A counter's increase over the scenario, summed over its label sets."""
    found = samples[(samples["metric"] == metric) & (samples["source"] == "metrics")]
    if found.empty:
        return None
    by_series = found.sort_values("time").groupby("labels")["value"]
    return float((by_series.last() - by_series.first()).clip(lower=0).sum())


def _digests(stamp: Provenances, bundle: Path) -> Fact:
    path = bundle / DIGESTS_FILE
    try:
        seal = check_seal(bundle)
    except InvalidInput as problem:
        return stamp.error("bundle_digests", str(path), problem)
    if seal is None:
        return stamp.unavailable("bundle_digests", str(path), f"the bundle has no {DIGESTS_FILE}")
    return stamp.fact("bundle_digests", str(path), {"files": seal.files, "problems": seal.problems})
