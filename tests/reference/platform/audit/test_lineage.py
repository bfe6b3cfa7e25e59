"""Model lineage: code, data, schema and hyperparameters -> artifact, chained per version."""

from pathlib import Path

from readiness.audit.verify import verify
from reference.platform.audit.lineage import LineageRecord, lineage_of, record_lineage


def version(number: str) -> LineageRecord:
    return LineageRecord(
        model="adult-income", version=number, code_version="abc123-dirty",
        training_data_digest="d" * 64, schema_digest="s" * 64,
        hyperparameters={"epochs": 4, "hidden": [384, 192], "fairness_weight": 3.0},
        artifact_sha256="a" * 64, run_id="r" * 32,
    )  # fmt: skip


def test_lineage_is_recorded_per_version_and_read_back_as_written(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'audit.db'}"
    first, second = version("1"), version("2")
    assert (record_lineage(url, first), record_lineage(url, second)) == (1, 2)
    assert lineage_of(url, "adult-income") == [first, second]
    assert lineage_of(url, "adult-income", "2") == [second]
    assert verify(url).tables[4].rows_checked == 2
    assert verify(url).ok
