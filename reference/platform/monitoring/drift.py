"""Drift: PSI per feature on the training bins, and KL divergence of the output distribution.

Empty bins. PSI and KL divide by and take logs of bin shares, so an empty bin needs a
floor. We use Evidently's rule (a zero share becomes 1e-4, or the smallest non-zero share
divided by 1e6 when that is smaller), so that on the same bins our PSI and Evidently's
`psi` stattest agree (a test holds them to 1e-6). Where the two differ is the bins:
Evidently cuts equal-width Sturges bins over the reference and current data together, so
its bins move with the window; ours are fixed at training time (`reference`).
"""

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict

from reference.platform.monitoring.sketch import Sketch
from reference.platform.monitoring.training_reference import MonitorReference

Shares = npt.NDArray[np.float64]
Binned = Sequence[float] | npt.NDArray[Any]
"""Bin shares or bin counts."""


def floored(shares: Binned) -> Shares:
    """Bin shares with empty bins floored (Evidently's rule, see the module docstring)."""
    values = np.array(shares, dtype=np.float64)
    present = values[values != 0]
    if present.size == 0:
        return np.full_like(values, 1.0 / max(values.size, 1))
    smallest = float(present.min())
    values[values == 0] = smallest / 1e6 if smallest <= 1e-4 else 1e-4
    return values


def psi(expected: Binned, actual: Binned) -> float:
    """Population stability index of `actual` against `expected` (bin shares or counts)."""
    reference, current = floored(_shares(expected)), floored(_shares(actual))
    return float(np.sum((reference - current) * np.log(reference / current)))


def kl_divergence(expected: Binned, actual: Binned) -> float:
    """KL(actual || expected): the information lost describing the live outputs by the
    training ones, in nats."""
    reference, current = floored(_shares(expected)), floored(_shares(actual))
    return float(np.sum(current * np.log(current / reference)))


def _shares(values: Binned) -> Shares:
    array = np.asarray(values, dtype=np.float64)
    total = array.sum()
    return array / total if total > 0 else array


class DriftResult(BaseModel):
    """One window's drift: PSI per feature, the largest, and the output KL divergence."""

    model_config = ConfigDict(frozen=True)

    rows: int
    psi: dict[str, float]
    output_kl: float

    @property
    def psi_max(self) -> float:
        return max(self.psi.values(), default=0.0)

    def above(self, threshold: float) -> list[str]:
        """Features whose PSI exceeds `threshold`, worst first."""
        over = [(v, k) for k, v in self.psi.items() if v > threshold]
        return [name for _, name in sorted(over, reverse=True)]


def drift(reference: MonitorReference, sketch: Sketch) -> DriftResult:
    values: dict[str, float] = {}
    for feature, expected in reference.expected.items():
        values[feature] = psi(expected, sketch.counts[feature])
    return DriftResult(
        rows=sketch.rows,
        psi=values,
        output_kl=kl_divergence(reference.score_expected, sketch.scores),
    )
