"""The drift report artifact, rendered by Evidently: a window of logged predictions against
training rows, every model input tested with PSI, as a self-contained HTML page.

Our monitors decide on fixed training bins (`drift`); this report is for the person who
reads the ticket: Evidently's per-column distributions make a shift visible at a glance.
"""

import warnings
from pathlib import Path

import pandas as pd
from pydantic import BaseModel

from reference.platform.model.schema import FeatureSchema


class DriftReportSummary(BaseModel):
    path: Path
    current_rows: int
    reference_rows: int
    drifted_columns: list[str]
    psi: dict[str, float]
    untested: list[str]
    """Model inputs the window has no value of (Evidently cannot test an empty column)."""


def render_drift_report(
    schema: FeatureSchema,
    reference_rows: pd.DataFrame,
    current_rows: pd.DataFrame,
    path: Path,
    threshold: float = 0.1,
) -> DriftReportSummary:
    from evidently import DataDefinition, Dataset, Report  # slow import: only when rendering
    from evidently.presets import DataDriftPreset

    current = current_rows.reindex(columns=[c.name for c in schema.model_inputs])
    for column in schema.numeric_inputs:
        current[column.name] = pd.to_numeric(current[column.name], errors="coerce")
    untested = [name for name in current.columns if current[name].isna().all()]
    numeric = [c.name for c in schema.numeric_inputs if c.name not in untested]
    categorical = [c.name for c in schema.categorical_inputs if c.name not in untested]
    columns = numeric + categorical
    definition = DataDefinition(numerical_columns=numeric, categorical_columns=categorical)
    current, reference = current[columns], reference_rows.reindex(columns=columns)
    report = Report([DataDriftPreset(method="psi", threshold=threshold)])
    with warnings.catch_warnings():  # Evidently divides 0/0 for a column with no values
        warnings.simplefilter("ignore", RuntimeWarning)
        snapshot = report.run(
            Dataset.from_pandas(current, data_definition=definition),
            Dataset.from_pandas(reference, data_definition=definition),
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    snapshot.save_html(str(path))
    psi: dict[str, float] = {}
    for metric in snapshot.dict()["metrics"]:
        config = metric.get("config", {})
        if config.get("type", "").endswith("ValueDrift") and "column" in config:
            psi[config["column"]] = float(metric["value"])
    return DriftReportSummary(
        path=path, current_rows=len(current), reference_rows=len(reference),
        drifted_columns=sorted(c for c, v in psi.items() if v >= threshold), psi=psi,
        untested=untested,
    )  # fmt: skip
