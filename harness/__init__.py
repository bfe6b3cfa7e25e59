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
