"""The rows the traffic sends: the Adult test split, as a client would send them."""

import math
from typing import Any

from reference.platform.dataset import load_adult
from reference.platform.schema import ColumnRole


def traffic_rows() -> list[tuple[dict[str, Any], int]]:
    """(instance, true label) pairs: every column a client sends, nulls as None."""
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
