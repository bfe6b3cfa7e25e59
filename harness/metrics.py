"""Read a target's Prometheus metrics endpoints into flat samples."""

import json
from dataclasses import dataclass

import httpx
from prometheus_client.parser import text_string_to_metric_families

SKIPPED_SUFFIXES = ("_bucket", "_created")


@dataclass(frozen=True)
class Sample:
    metric: str
    labels: str
    """The labels as canonical JSON, so samples group and compare as strings."""
    value: float


def parse_metrics(text: str) -> list[Sample]:
    samples = []
    for family in text_string_to_metric_families(text):
        for found in family.samples:
            if found.name.endswith(SKIPPED_SUFFIXES):
                continue
            labels = json.dumps(dict(found.labels), sort_keys=True) if found.labels else ""
            samples.append(Sample(found.name, labels, float(found.value)))
    return samples


def scrape(url: str, headers: dict[str, str], timeout: float = 5.0) -> list[Sample]:
    """The endpoint's samples; an empty list when it does not answer (recorded by the
    caller as a gap, never as zeros)."""
    try:
        answer = httpx.get(url, headers=headers, timeout=timeout, follow_redirects=True)
    except httpx.HTTPError:
        return []
    if not answer.is_success:
        return []
    try:
        return parse_metrics(answer.text)
    except ValueError:
        return []
