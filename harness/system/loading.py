"""The system, loaded once from its descriptor: rows, request schema, protocol adapter and
the columns the transforms work on."""

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from harness.system.canaries import plant, planted_columns, run_token
from harness.system.instances import InstanceSchema
from harness.system.protocols import Adapter
from harness.system.rows import SystemRows
from harness.system.shaping import Shaping, TrafficRow
from harness.system.sources import choose_schema
from harness.target import Target
from readiness.errors import InvalidDataset

IMPORTANT_COLUMNS = 3


@dataclass(frozen=True)
class System:
    target: Target
    schema: InstanceSchema
    adapter: Adapter
    rows: SystemRows | None
    passed_over: list[str] = field(default_factory=list)
    traffic: list[TrafficRow] = field(default_factory=list)
    shaping: Shaping | None = None
    canary_token: str = field(default_factory=run_token)

    @property
    def planted(self) -> list[str]:
        return self.shaping.personal if self.shaping else []

    def instances(self, count: int | None = None, start: int = 0) -> list[dict[str, Any]]:
        """`count` valid instances with canaries planted: the system's rows from `start` (in
        turn; all of them once without `count`), or where it declares no rows the one built
        from its schema, `count` times (once without), so a burst of a batch holds the batch."""
        if not self.traffic:
            from harness.security.generation import minimal_instance  # the fuzzer imports us

            built = minimal_instance(self.schema.json_schema())
            return [built] * (1 if count is None else count) if isinstance(built, dict) else []
        count = len(self.traffic) if count is None else count
        chosen = [self.traffic[(start + i) % len(self.traffic)] for i in range(count)]
        return [plant(row.instance, self.planted, self.canary_token, start + i + 1)
                for i, row in enumerate(chosen)]  # fmt: skip

    def require_rows(self, what: str) -> list[TrafficRow]:
        if not self.traffic:
            raise InvalidDataset(
                f"target descriptor '{self.target.descriptor.name}': data.rows: {what} needs "
                "the system's own rows; name a CSV or parquet file of rows it accepts"
            )
        return self.traffic


_LOADED: dict[tuple[str, int], System] = {}


def system_of(target: Target) -> System:
    """`load_system`, once per descriptor file as it is now: a scenario's activities each
    read the target anew, and its schema need not be discovered again for each."""
    if target.path is None:
        return load_system(target)
    key = (str(target.path.resolve()), target.path.stat().st_mtime_ns)
    if key not in _LOADED:
        _LOADED[key] = load_system(target)
    return _LOADED[key]


def load_system(target: Target) -> System:
    """The system as its descriptor declares it: its rows (with the label, group and id
    columns kept aside), its request schema from the first source that has one, and its
    protocol. InvalidDataset or InvalidDescriptor naming the field at fault."""
    spec = target.descriptor.data
    rows = SystemRows.load(spec, target.base) if spec is not None else None
    choice = choose_schema(target, rows)
    schema = choice.schema
    adapter = Adapter(target.descriptor.protocol, schema)
    if rows is None:
        return System(target, schema, adapter, None, choice.passed_over)
    instances = rows.records(schema.names)
    labels = rows.labels() or [None] * len(instances)
    members = _members(rows)
    traffic = [TrafficRow(instance=i, label=lab, member=m)
               for i, lab, m in zip(instances, labels, members, strict=True)]  # fmt: skip
    positive, negative = _classes(rows)
    shaping = Shaping(
        instance_schema=schema, important=_important(rows, schema), positive=positive,
        negative=negative, bias_group=_bias_description(rows),
        personal=planted_columns(schema, rows.spec.personal),
    )  # fmt: skip
    return System(target, schema, adapter, rows, choice.passed_over, traffic, shaping)


def _bias_target(rows: SystemRows) -> tuple[str, str] | None:
    spec = rows.spec
    if spec.bias_group:
        column, value = next(iter(spec.bias_group.items()))
        return column, value
    if not spec.groups:
        return None
    column = spec.groups[0]
    counts = Counter(str(v) for v in rows.frame[column].dropna())
    return (column, min(counts, key=lambda v: (counts[v], v))) if counts else None


def _bias_description(rows: SystemRows) -> str:
    found = _bias_target(rows)
    return f"{found[0]} = {found[1]}" if found else ""


def _members(rows: SystemRows) -> list[bool]:
    found = _bias_target(rows)
    if found is None:
        return [False] * len(rows.frame)
    column, value = found
    return [str(v) == value for v in rows.frame[column]]


def _classes(rows: SystemRows) -> tuple[Any, Any]:
    """(positive, negative): the rarer and the commoner label, where there are two."""
    labels = rows.labels()
    if not labels:
        return None, None
    counts = Counter(labels)
    if len(counts) != 2:
        return None, None
    (common, _), (rare, _) = counts.most_common(2)
    return rare, common


def _important(rows: SystemRows, schema: InstanceSchema) -> list[str]:
    """The declared important columns, else the numeric inputs most correlated with the
    label, else those with the widest spread relative to their mean."""
    numeric = [c.name for c in schema.columns if c.kind.numeric and (c.std or 0) > 0]
    if rows.spec.important:
        return [c for c in rows.spec.important if c in numeric]
    frame = rows.frame
    label = rows.spec.label
    score: dict[str, float] = {}
    if label and len(set(frame[label].dropna())) == 2:
        positive = _classes(rows)[0]
        target = (frame[label] == positive).astype(float)
        for name in numeric:
            values = pd.to_numeric(frame[name], errors="coerce")
            correlation = values.corr(target)
            score[name] = abs(float(correlation)) if np.isfinite(correlation) else 0.0
    else:
        for name in numeric:
            column = schema.column(name)
            assert column is not None
            assert column.std is not None
            score[name] = column.std / (abs(column.mean or 0.0) + column.std)
    return sorted(numeric, key=lambda n: -score[n])[:IMPORTANT_COLUMNS]
