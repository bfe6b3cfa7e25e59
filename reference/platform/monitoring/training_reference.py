"""What the monitors compare against: bins fixed from the training data, and the training
distribution, output distribution, correlations and ranges on those bins.

Drift measured on bins chosen from the live data would move with the drift it is meant to
see, so the bins are fixed once, at training time, and travel with the model version (a
`monitoring/reference.json` artifact of its MLflow run, its sha256 in the version's tags).

Numeric bins are the training deciles, except that a value holding at least a tenth of the
rows (capital gain is 0 for 92% of applicants) gets a bin of its own, so the deciles of the
rest still resolve a shift among the others. Every feature has one more bin for missing
values (and, for categories, values the schema does not know).
"""

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from reference.platform.model.schema import FeatureSchema

SCORE_BINS = 10
POINT_MASS_SHARE = 0.1
QUANTILES = tuple(q / 10 for q in range(1, 10))


class NumericBins(BaseModel):
    """Interior cut points: bin i holds edges[i-1] <= x < edges[i]; the last bin is missing."""

    model_config = ConfigDict(frozen=True)

    feature: str
    edges: tuple[float, ...]
    expected: tuple[float, ...]
    low: float
    high: float

    @property
    def bins(self) -> int:
        return len(self.edges) + 2  # below the first edge .. above the last, then missing


class CategoricalBins(BaseModel):
    """Bin 0 is missing or unseen (the encoder's index 0); bin i is category i."""

    model_config = ConfigDict(frozen=True)

    feature: str
    categories: tuple[str, ...]
    expected: tuple[float, ...]

    @property
    def bins(self) -> int:
        return len(self.categories) + 1


class MonitorReference(BaseModel):
    """The training side of every drift and quality comparison, for one model version."""

    model_config = ConfigDict(frozen=True)

    schema_digest: str
    rows: int = Field(gt=0)
    numeric: tuple[NumericBins, ...]
    categorical: tuple[CategoricalBins, ...]
    score_expected: tuple[float, ...]
    correlation: tuple[tuple[float, ...], ...]
    """Pearson correlations of the numeric inputs, in `numeric` order."""

    @property
    def features(self) -> tuple[str, ...]:
        return tuple(b.feature for b in self.numeric) + tuple(b.feature for b in self.categorical)

    @property
    def expected(self) -> dict[str, tuple[float, ...]]:
        """Training share of each bin, per feature."""
        shares = {b.feature: b.expected for b in self.numeric}
        return shares | {b.feature: b.expected for b in self.categorical}

    def missing_index(self, feature: str) -> int:
        """The bin that counts a feature's missing values (numeric: the last; categorical:
        0, which also holds categories the schema does not know)."""
        return -1 if feature in {b.feature for b in self.numeric} else 0


def numeric_edges(values: npt.NDArray[np.floating]) -> tuple[float, ...]:
    present = values[~np.isnan(values)]
    if present.size == 0:
        return ()
    distinct, counts = np.unique(present, return_counts=True)
    masses = distinct[counts >= POINT_MASS_SHARE * present.size]
    rest = present[~np.isin(present, masses)]
    edges = set(np.quantile(rest, QUANTILES).tolist()) if rest.size else set()
    for mass in masses.tolist():
        edges |= {mass, float(np.nextafter(mass, np.inf))}
    return tuple(sorted(edges))


def numeric_bin_counts(
    values: npt.NDArray[np.floating], edges: Sequence[float] | npt.NDArray[np.floating]
) -> npt.NDArray[np.int64]:
    """Counts per bin (see `NumericBins`), missing values in the last bin."""
    missing = np.isnan(values)
    index = np.searchsorted(np.asarray(edges, dtype=np.float64), values[~missing], side="right")
    counts = np.bincount(index, minlength=len(edges) + 1)
    return np.append(counts, missing.sum()).astype(np.int64)


def categorical_bin_counts(
    indices: npt.NDArray[np.integer], categories: int
) -> npt.NDArray[np.int64]:
    clipped = np.where((indices < 0) | (indices > categories), 0, indices)
    return np.bincount(clipped, minlength=categories + 1).astype(np.int64)


def score_bin_counts(scores: npt.NDArray[np.floating]) -> npt.NDArray[np.int64]:
    index = np.clip(
        (np.asarray(scores, dtype=np.float64) * SCORE_BINS).astype(np.int64), 0, SCORE_BINS - 1
    )
    return np.bincount(index, minlength=SCORE_BINS).astype(np.int64)


def correlation(numeric: npt.NDArray[np.floating]) -> npt.NDArray[np.float64]:
    """Pearson correlations over the complete rows; 0 where a column is constant."""
    complete = numeric[~np.isnan(numeric).any(axis=1)].astype(np.float64)
    if len(complete) < 2:
        return np.zeros((numeric.shape[1], numeric.shape[1]))
    with np.errstate(invalid="ignore", divide="ignore"):
        matrix = np.corrcoef(complete, rowvar=False)
    return np.asarray(np.nan_to_num(np.atleast_2d(matrix)), dtype=np.float64)


def fit_reference(
    schema: FeatureSchema,
    numeric: npt.NDArray[np.floating],
    categorical: npt.NDArray[np.integer],
    scores: npt.NDArray[np.floating],
) -> MonitorReference:
    """The reference of a model trained on these encoded rows, which it scored `scores`."""
    rows = len(numeric)
    numeric_bins = []
    for column, values in zip(schema.numeric_inputs, numeric.T.astype(np.float64), strict=True):
        edges = numeric_edges(values)
        present = values[~np.isnan(values)]
        numeric_bins.append(NumericBins(
            feature=column.name, edges=edges,
            expected=_shares(numeric_bin_counts(values, edges)),
            low=float(present.min()) if present.size else float("nan"),
            high=float(present.max()) if present.size else float("nan"),
        ))  # fmt: skip
    categorical_bins = [
        CategoricalBins(
            feature=column.name, categories=column.categories,
            expected=_shares(categorical_bin_counts(values, len(column.categories))),
        )
        for column, values in zip(schema.categorical_inputs, categorical.T, strict=True)
    ]  # fmt: skip
    return MonitorReference(
        schema_digest=schema.digest(),
        rows=rows,
        numeric=tuple(numeric_bins),
        categorical=tuple(categorical_bins),
        score_expected=_shares(score_bin_counts(scores)),
        correlation=tuple(tuple(row) for row in correlation(numeric).tolist()),
    )


def _shares(counts: npt.NDArray[np.int64]) -> tuple[float, ...]:
    return tuple((counts / max(int(counts.sum()), 1)).tolist())
