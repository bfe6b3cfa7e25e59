"""The global explanation of a model, as a report computed on a schedule.

Local attributions and counterfactuals explain one decision; reviewers of a model in
production also need to see what it relies on overall and how it responds to each input,
and see it again as traffic changes. `global_report` computes both views on a frame of
rows (the training split, or a recent window of requests):

* feature importance: mean |SHAP| per model input (`explain.global_importance`);
* partial dependence per model input: the mean prediction over the rows with that input
  set to each grid value, every other input left as it was. Numeric grids are quantiles of
  `grid_from` (pass the training split, so that reports from different windows share one
  grid); categorical grids are every category of the schema. Inputs are varied one at a
  time, so a pair the data never holds together (education 'Doctorate' with
  education_num 9) is asked about too: partial dependence shows the model's response, not
  the world's.

The result is a pydantic `GlobalReport`; `write_report` stores it as JSON and renders a
self-contained HTML page (`global_report_html`); `schedule.run_scheduled` repeats it.

Its cost per report is measured on the quick-trained student; `docs/platform.md` gives it.
"""

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import BaseModel

from readiness.errors import InvalidInput, OperationFailed
from reference.platform.explain.global_report_html import render_html
from reference.platform.explain.importance import GlobalImportance, global_importance
from reference.platform.model.evaluation import Predict
from reference.platform.model.schema import FeatureSchema

GRID_POINTS = 20
DEPENDENCE_ROWS = 500
IMPORTANCE_ROWS = 100
IMPORTANCE_BACKGROUND = 100
SEED = 7


class PartialDependence(BaseModel):
    """Mean prediction with one input set to each grid value, in grid order."""

    feature: str
    kind: Literal["numeric", "categorical"]
    grid: list[float] | list[str]
    mean_prediction: list[float]


class GlobalReport(BaseModel):
    model: str
    """What was explained: a registry name and version, or a file."""
    schema_digest: str
    computed_at: datetime
    seconds: float
    """How long computing the report took."""
    rows: int
    """Rows in the frame the report describes."""
    dependence_rows: int
    """Rows each partial dependence value is averaged over (a sample of `rows`)."""
    importance: GlobalImportance
    partial_dependence: dict[str, PartialDependence]
    """One entry per model input, in schema order."""


class WrittenReport(BaseModel):
    json_path: Path
    html_path: Path


def global_report(
    predict: Predict,
    schema: FeatureSchema,
    frame: pd.DataFrame,
    *,
    model: str = "",
    grid_from: pd.DataFrame | None = None,
    grid_points: int = GRID_POINTS,
    dependence_rows: int = DEPENDENCE_ROWS,
    importance_rows: int = IMPORTANCE_ROWS,
    importance_background: int = IMPORTANCE_BACKGROUND,
    seed: int = SEED,
) -> GlobalReport:
    """Importance and partial dependence of `predict` over `frame` (module docstring)."""
    started = time.perf_counter()
    if len(frame) == 0:
        raise InvalidInput("a global report needs at least one row")
    if grid_points < 2:
        raise InvalidInput(f"grid_points must be at least 2, got {grid_points}")
    schema.validate_frame(frame)
    grid_source = frame if grid_from is None else grid_from
    numeric, categorical = schema.encode(frame)
    generator = np.random.default_rng(seed)
    sample = np.sort(
        generator.choice(len(frame), size=min(dependence_rows, len(frame)), replace=False)
    )
    dependence: dict[str, PartialDependence] = {}
    for j, column in enumerate(schema.numeric_inputs):
        grid = numeric_grid(grid_source[column.name], grid_points)
        means = _mean_with(predict, numeric[sample], categorical[sample], ("numeric", j), grid)
        dependence[column.name] = PartialDependence(
            feature=column.name, kind="numeric", grid=grid.tolist(), mean_prediction=means
        )
    for j, column in enumerate(schema.categorical_inputs):
        indices = np.arange(1, len(column.categories) + 1, dtype=np.int64)
        means = _mean_with(
            predict, numeric[sample], categorical[sample], ("categorical", j), indices
        )
        dependence[column.name] = PartialDependence(
            feature=column.name,
            kind="categorical",
            grid=list(column.categories),
            mean_prediction=means,
        )
    importance = global_importance(
        predict,
        schema,
        numeric,
        categorical,
        rows=min(importance_rows, len(frame)),
        background=min(importance_background, len(frame)),
        seed=seed,
    )
    return GlobalReport(
        model=model,
        schema_digest=schema.digest(),
        computed_at=datetime.now(UTC),
        seconds=time.perf_counter() - started,
        rows=len(frame),
        dependence_rows=len(sample),
        importance=importance,
        partial_dependence=dependence,
    )


def numeric_grid(values: "pd.Series[float]", points: int) -> npt.NDArray[np.float64]:
    """Distinct quantiles at `points` evenly spaced levels: dense where the data is."""
    present = values.dropna().to_numpy(dtype=np.float64)
    if len(present) == 0:
        raise InvalidInput(f"column '{values.name}' has no values to place a grid on")
    return np.unique(np.quantile(present, np.linspace(0.0, 1.0, points)))


def _mean_with(
    predict: Predict,
    numeric: npt.NDArray[np.float32],
    categorical: npt.NDArray[np.int64],
    column: tuple[Literal["numeric", "categorical"], int],
    grid: npt.NDArray[np.float64] | npt.NDArray[np.int64],
) -> list[float]:
    """One model call: every row at every grid value of one column, averaged per value."""
    rows = len(numeric)
    tiled_numeric = np.tile(numeric, (len(grid), 1))
    tiled_categorical = np.tile(categorical, (len(grid), 1))
    kind, j = column
    target = tiled_numeric if kind == "numeric" else tiled_categorical
    target[:, j] = np.repeat(grid, rows)
    predictions = predict(tiled_numeric, tiled_categorical)
    return [float(v) for v in predictions.reshape(len(grid), rows).mean(axis=1)]


def write_report(report: GlobalReport, folder: Path) -> WrittenReport:
    """Write `global-report-<UTC time>.json` and `.html` into `folder` (created if needed)."""
    stem = f"global-report-{report.computed_at.astimezone(UTC):%Y%m%dT%H%M%SZ}"
    written = WrittenReport(json_path=folder / f"{stem}.json", html_path=folder / f"{stem}.html")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        written.json_path.write_text(report.model_dump_json(indent=2))
        written.html_path.write_text(render_html(report))
    except OSError as problem:
        raise OperationFailed(
            f"cannot write the global report to {folder}: {problem.strerror or problem}"
        ) from problem
    return written
