"""The protocols a predict endpoint speaks: how rows become a request body, and how the
answer names its predictions, the answering model version and the request id.

One adapter per protocol of `readiness.descriptor.ProtocolKind`. An adapter is pure (no
I/O), so the traffic process, the security probes and the live checks share it, and each
is tested against the real server that speaks it (tests/harness/system).
"""

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from harness.system.instances import InstanceSchema, Kind
from readiness.descriptor import Protocol, ProtocolKind

Row = Mapping[str, Any]
INSTANCES, INSTANCE = "{{instances}}", "{{instance}}"
REQUEST_ID, LABEL = "{{request_id}}", "{{label}}"
HEADER = "header:"
V2_DATATYPES = {Kind.NUMBER: "FP64", Kind.INTEGER: "INT64", Kind.BOOLEAN: "BOOL",
                Kind.CATEGORY: "BYTES", Kind.TEXT: "BYTES"}  # fmt: skip


@dataclass(frozen=True)
class Answer:
    """What a 2xx answer said: how many predictions, which version, which request."""

    predictions: int | None
    """None where the answer holds no predictions at the expected place."""
    version: str
    request_id: str


def dig(document: Any, path: str) -> Any:
    """The value at a dotted path (`outputs.0.data`); None where there is none."""
    node = document
    for part in path.split(".") if path else []:
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def _substitute(template: Any, values: Mapping[str, Any]) -> Any:
    if isinstance(template, str) and template in values:
        return values[template]
    if isinstance(template, Mapping):
        return {key: _substitute(value, values) for key, value in template.items()}
    if isinstance(template, list):
        return [_substitute(item, values) for item in template]
    return template


def _finite(value: Any) -> Any:
    return None if isinstance(value, float) and not math.isfinite(value) else value


class Adapter:
    """Builds request bodies and reads answers for one protocol."""

    def __init__(self, protocol: Protocol, schema: InstanceSchema) -> None:
        self.protocol, self.schema = protocol, schema
        self.kind = protocol.kind

    @property
    def list_key(self) -> str | None:
        """Where a row-based body holds its list of rows (what the fuzzer breaks), or None
        for a protocol that sends columns or tensors."""
        if self.kind in (ProtocolKind.READINESS, ProtocolKind.KSERVE_V1):
            return "instances"
        if self.kind is ProtocolKind.MLFLOW and self.protocol.mlflow_format == "dataframe_records":
            return "dataframe_records"
        if self.kind is ProtocolKind.TEMPLATE and isinstance(self.protocol.body, Mapping):
            return next((k for k, v in self.protocol.body.items() if v == INSTANCES), None)
        return None

    def body(self, rows: Sequence[Row]) -> Any:
        """The JSON body asking for a prediction of each row."""
        names = self.schema.names
        clean = [{name: _finite(row.get(name)) for name in names} for row in rows]
        if self.kind in (ProtocolKind.READINESS, ProtocolKind.KSERVE_V1):
            return {"instances": clean}
        if self.kind is ProtocolKind.MLFLOW:
            form = self.protocol.mlflow_format
            if form == "dataframe_records":
                return {"dataframe_records": clean}
            if form == "inputs":
                return {"inputs": {name: [row[name] for row in clean] for name in names}}
            return {
                "dataframe_split": {
                    "columns": names,
                    "data": [[row[n] for n in names] for row in clean],
                }
            }
        if self.kind is ProtocolKind.OPEN_INFERENCE:
            return self._v2_body(clean)
        single = clean[0] if clean else {}
        return _substitute(self.protocol.body, {INSTANCES: clean, INSTANCE: single})

    def _v2_body(self, rows: list[dict[str, Any]]) -> dict[str, Any]:
        if self.protocol.v2_inputs == "tensor":
            data = [float(row[name]) if row[name] is not None else math.nan
                    for row in rows for name in self.schema.names]  # fmt: skip
            return {"inputs": [{"name": "input-0", "shape": [len(rows), len(self.schema.names)],
                                "datatype": "FP64", "data": data}]}  # fmt: skip
        inputs = []
        for column in self.schema.columns:
            values = [row[column.name] for row in rows]
            if column.kind in (Kind.CATEGORY, Kind.TEXT):
                values = [None if v is None else str(v) for v in values]
            inputs.append({"name": column.name, "shape": [len(rows)],
                           "datatype": V2_DATATYPES[column.kind], "data": values})  # fmt: skip
        return {"parameters": {"content_type": "pd"}, "inputs": inputs}

    def encode(self, rows: Sequence[Row]) -> bytes:
        return json.dumps(self.body(rows), allow_nan=False).encode()

    def read(self, body: Any, headers: Mapping[str, str]) -> Answer:
        """The predictions, version and request id a 2xx answer names."""
        predictions = dig(body, self.protocol.predictions or self._predictions_path())
        count = _count(predictions, self.kind)
        version = self._located(self.protocol.version, body, headers)
        if not version and self.kind is ProtocolKind.READINESS:
            version = str(dig(body, "predictions.0.version") or "")
        if not version and self.kind is ProtocolKind.OPEN_INFERENCE:
            version = str(dig(body, "model_version") or "")
        version = version or str(_header(headers, "x-model-version") or "")
        request_id = self._located(self.protocol.request_id, body, headers)
        if not request_id:
            default = "id" if self.kind is ProtocolKind.OPEN_INFERENCE else "request_id"
            request_id = str(dig(body, default) or "")
        return Answer(count, version, request_id)

    def _predictions_path(self) -> str:
        if self.kind is ProtocolKind.OPEN_INFERENCE:
            return "outputs.0.data"
        return "predictions"

    @staticmethod
    def _located(where: str | None, body: Any, headers: Mapping[str, str]) -> str:
        if not where:
            return ""
        if where.startswith(HEADER):
            return str(_header(headers, where.removeprefix(HEADER)) or "")
        found = dig(body, where)
        return "" if found is None else str(found)

    def feedback(self, request_id: str, label: Any) -> Any | None:
        """The feedback body reporting `label` for `request_id`; None where the protocol
        has no way to name the request."""
        if not request_id:
            return None
        if self.protocol.feedback_body is not None:
            return _substitute(self.protocol.feedback_body, {REQUEST_ID: request_id, LABEL: label})
        return {"labels": [{"request_id": request_id, "label": label}]}


def _header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    return next((v for k, v in headers.items() if k.lower() == wanted), None)


def _count(predictions: Any, kind: ProtocolKind) -> int | None:
    if isinstance(predictions, list):
        return len(predictions)
    if isinstance(predictions, Mapping) and kind is ProtocolKind.MLFLOW:
        columns = [v for v in predictions.values() if isinstance(v, list)]
        return len(columns[0]) if columns else None  # a dict of output columns
    return None if predictions is None else 1
