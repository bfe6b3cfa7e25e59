"""The scenario harness: runs scenario files against any target descriptor and writes an
evidence bundle. `Environment` is the composition root; `readiness run` is a thin shell."""

DEFAULT_SCENARIOS = (
    "steady-state",
    "traffic-spike",
    "security-probes",
    "accelerator-failure",
    "covariate-drift",
    "data-quality",
    "bad-rollout",
    "bias",
)
"""The default set, in an order where no scenario's lingering alert or state hides the next
one's: a high alert inhibits medium ones, a critical alert inhibits everything, and the
spike runs before the security burst has scaled the replicas up, and the bias comes last
because its biased labels also pull accuracy below the critical threshold."""

STREAMING_SCENARIOS = (
    "stream-steady-state",
    "stream-burst",
    "security-probes",
    "stream-stage-crash",
    "stream-broker-restart",
    "stream-poison",
    "covariate-drift",
    "data-quality",
    "bias",
)
"""The default set for a streaming target (one with a results endpoint to follow accepted
events up): the stream's own faults instead of replicas, accelerators and rollouts, and
the monitors' scenarios in the same order as above."""


EDGE_SCENARIOS = (
    "steady-state",
    "security-probes",
    "edge-link-loss",
    "edge-bad-release",
    "edge-slow-release",
    "edge-cold-start",
    "edge-local-drift",
    "data-quality",
    "bias",
)
"""The default set for an edge fleet: its own faults (links, releases, a replaced device)
instead of replicas, accelerators and rollouts, then the monitors' scenarios, which judge
the telemetry the devices forward."""


def default_scenarios(pattern: str) -> tuple[str, ...]:
    """The default set for a target of this pattern (`real-time`, `streaming`, `edge`)."""
    by_pattern = {"streaming": STREAMING_SCENARIOS, "edge": EDGE_SCENARIOS}
    return by_pattern.get(pattern, DEFAULT_SCENARIOS)
