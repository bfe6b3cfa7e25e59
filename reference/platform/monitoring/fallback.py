"""The share of instances the CPU fallback answered, measured from the gateway's counters.

The gateway counts, per model version, the instances its backend answered
(`readiness_inferred_instances_total`) and those of them the CPU fallback answered because
the accelerator path failed (`readiness_fallback_instances_total`); the replicas report
which path answered each batch. At every poll the monitor reads the gateway's /metrics
(`GatewayScrape`), `read_counters` picks the two counters out of it, and `FallbackRatio`
turns their increase since the previous reading into one share per model
(`readiness_fallback_ratio`): what the fallback answered, not what a fault hook says.

Unknown is not zero: a model that answered no instance since the previous reading has no
share, and a gateway without metrics (the prototype, or metrics switched off) or out of
reach gives no reading; the gauge then keeps its last value or stays absent, and the alert
engine leaves the rule's state as it was.
"""

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import httpx
from prometheus_client.parser import text_string_to_metric_families

LOG = logging.getLogger(__name__)

INFERRED = "readiness_inferred_instances_total"
FALLBACK = "readiness_fallback_instances_total"
RATIO = "readiness_fallback_ratio"

Scrape = Callable[[], str | None]
"""The gateway's metrics as Prometheus text; None when there are none to read."""


@dataclass(frozen=True)
class Counts:
    """Instances answered (`inferred`) and answered by the CPU fallback (`fallback`)."""

    inferred: float = 0.0
    fallback: float = 0.0

    def __add__(self, other: "Counts") -> "Counts":
        return Counts(self.inferred + other.inferred, self.fallback + other.fallback)

    def since(self, earlier: "Counts") -> "Counts":
        """The increase since `earlier`. A counter below its earlier value was reset (the
        gateway restarted), so all of its value is new."""
        return Counts(_increase(self.inferred, earlier.inferred),
                      _increase(self.fallback, earlier.fallback))  # fmt: skip


def _increase(now: float, before: float) -> float:
    return now - before if now >= before else now


Counters = dict[tuple[str, str], Counts]
"""Counts per (model, version)."""


def read_counters(text: str) -> Counters:
    """The two counters of every model version in the gateway's metrics text."""
    found: Counters = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name not in (INFERRED, FALLBACK):
                continue
            key = (sample.labels["model"], sample.labels["version"])
            counted = (
                Counts(inferred=sample.value)
                if sample.name == INFERRED
                else Counts(fallback=sample.value)
            )
            found[key] = found.get(key, Counts()) + counted
    return found


@dataclass(frozen=True)
class FallbackShare:
    """What the CPU fallback answered of one model's instances between two readings."""

    model: str
    versions: Mapping[str, Counts]

    @property
    def total(self) -> Counts:
        return sum(self.versions.values(), Counts())

    @property
    def ratio(self) -> float:
        return self.total.fallback / self.total.inferred

    @property
    def detail(self) -> str:
        each = ", ".join(f"version {version}: {c.fallback:g} of {c.inferred:g}"
                         for version, c in sorted(self.versions.items()))  # fmt: skip
        total = self.total
        return (
            f"{total.fallback:g} of {total.inferred:g} instances since the previous poll ({each})"
        )


class FallbackRatio:
    """The fallback's share per model since the previous reading. The first reading is
    only the baseline: what was answered before the monitor started is not judged."""

    def __init__(self) -> None:
        self._previous: Counters | None = None

    def update(self, current: Counters) -> list[FallbackShare]:
        previous, self._previous = self._previous, dict(current)
        if previous is None:
            return []
        grown: dict[str, dict[str, Counts]] = {}
        for (model, version), counts in current.items():
            increase = counts.since(previous.get((model, version), Counts()))
            if increase.inferred > 0:
                grown.setdefault(model, {})[version] = increase
        return [FallbackShare(model, versions) for model, versions in sorted(grown.items())]


class GatewayScrape:
    """GET the gateway's /metrics. None, never an error, when it has no metrics (404: the
    prototype, or metrics switched off) or cannot be reached; the first failure of a run of
    them is logged."""

    def __init__(self, client: httpx.Client, path: str = "/metrics") -> None:
        self.client, self.path = client, path
        self._failing = False

    @classmethod
    def at(cls, base_url: str, timeout_s: float = 2.0) -> "GatewayScrape":
        return cls(httpx.Client(base_url=base_url, timeout=timeout_s))

    def __call__(self) -> str | None:
        try:
            answer = self.client.get(self.path)
        except httpx.HTTPError as error:
            self._failed(f"{type(error).__name__}: {error}")
            return None
        if answer.status_code != httpx.codes.OK:
            self._failed(f"HTTP {answer.status_code}")
            return None
        self._failing = False
        return answer.text

    def _failed(self, why: str) -> None:
        if not self._failing:
            LOG.warning("no gateway metrics at %s%s (%s): no fallback ratio until there are",
                        self.client.base_url, self.path, why)  # fmt: skip
        self._failing = True
