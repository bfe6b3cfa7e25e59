from pathlib import Path

import pandas as pd

from reference.platform.model.dataset import AdultDataset
from reference.platform.monitoring.drift_report import render_drift_report


def test_evidently_renders_a_report_that_names_the_shifted_feature(
    adult: AdultDataset, tmp_path: Path
) -> None:
    current = adult.test[:2000].assign(
        hours_per_week=lambda f: (f.hours_per_week + 15).clip(upper=99)
    )
    summary = render_drift_report(
        adult.schema, adult.train.sample(4000, random_state=1), current, tmp_path / "drift.html"
    )
    assert "hours_per_week" in summary.drifted_columns
    assert summary.psi["age"] < 0.1
    assert summary.path.stat().st_size > 10_000
    assert "hours_per_week" in summary.path.read_text()


def test_rows_from_the_log_with_nulls_and_strings_for_numbers_still_render(
    adult: AdultDataset, tmp_path: Path
) -> None:
    logged = pd.DataFrame([{"age": "39", "occupation": None, "hours_per_week": 40}] * 50)
    summary = render_drift_report(adult.schema, adult.train[:500], logged, tmp_path / "d.html")
    assert summary.current_rows == 50
    assert "capital_gain" in summary.untested
    assert "age" in summary.psi
