"""The reference systems' data as any user declares theirs: the Adult test split written
as a rows file, and the descriptor's `data` section naming its label, groups, id and
personal-data column. The harness reads Adult only through that file."""

import math
from typing import Any

from readiness.descriptor import DataSpec
from readiness.home import Home
from reference.platform.model.dataset import load_adult
from reference.platform.model.schema import ColumnRole

ROWS_FILE = "adult-requests.parquet"
IMPORTANT = ["age", "hours_per_week", "capital_gain"]
"""The inputs our drift scenarios have always shifted (they matter to the model, and the
monitors watch them)."""


def client_rows() -> list[tuple[dict[str, Any], int]]:
    """(instance, true label) pairs of the test split: every column a client sends, nulls
    as None (for the architectures' own tests and benchmarks)."""
    data = load_adult()
    label = data.schema.label.name
    dropped = {column.name for column in data.schema.columns if column.role is ColumnRole.ENTITY}
    columns = [name for name in data.test.columns if name not in dropped | {label}]
    rows = []
    for record in data.test.to_dict("records"):
        instance = {
            name: None if isinstance(record[name], float) and math.isnan(record[name])
            else record[name]
            for name in columns
        }  # fmt: skip
        rows.append((instance, int(record[label])))
    return rows


def declare_adult(home: Home) -> DataSpec:
    """Write the test split as the deployment's rows file (once) and declare it."""
    data = load_adult()
    path = home.root / "data" / ROWS_FILE
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        data.test.to_parquet(temporary, index=False)
        temporary.replace(path)
    schema = data.schema
    return DataSpec(
        rows=path, label=schema.label.name, groups=list(schema.sensitive), id=schema.entity,
        personal=list(schema.pii), important=IMPORTANT, bias_group={"sex": "Female"},
    )  # fmt: skip
