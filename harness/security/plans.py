"""The fuzz plan of a system: its own valid bodies, the schema they are judged by, and
where in a body the rows sit, whatever protocol it speaks.

- A row-based protocol (this project's, KServe V1, MLflow `dataframe_records`, a template
  with `{{instances}}`) breaks rows; the predict operation's OpenAPI body schema judges
  them where the request schema came from OpenAPI, else the instance schema does.
- MLflow's column formats are fuzzed as `dataframe_records`, which every MLflow server
  takes too: a broken row is the same broken row whichever layout carries it.
- Open Inference breaks the tensors of a real request (name, shape, datatype, data).
"""

from typing import Any

import httpx

from harness.security.generation import FuzzPlan, plan_from_openapi
from harness.system.loading import System
from harness.system.protocols import V2_DATATYPES, Adapter
from readiness.descriptor import ProtocolKind

FUZZ_BODIES = 64
"""Distinct real bodies the mutations start from."""


def _row_body_schema(list_key: str, items: dict[str, Any], template: Any) -> dict[str, Any]:
    properties: dict[str, Any] = {list_key: {"type": "array", "minItems": 1, "items": items}}
    if isinstance(template, dict):
        properties |= {k: {"const": v} for k, v in template.items() if k != list_key}
    return {"type": "object", "required": sorted(properties), "properties": properties,
            "additionalProperties": False}  # fmt: skip


def _tensor_schema(system: System) -> dict[str, Any]:
    return {
        "type": "object", "required": ["name", "shape", "datatype", "data"],
        "properties": {
            "name": {"enum": system.schema.names},
            "shape": {"type": "array", "minItems": 1,
                      "items": {"type": "integer", "minimum": 1}},
            "datatype": {"enum": sorted(set(V2_DATATYPES.values()))},
            "data": {"type": "array", "minItems": 1},
            "parameters": {"type": "object"},
        },
    }  # fmt: skip


def fuzz_adapter(system: System) -> Adapter:
    """The adapter the campaign speaks: the system's own, or for MLflow's column layouts,
    the row layout the same server accepts."""
    protocol = system.target.descriptor.protocol
    if protocol.kind is ProtocolKind.MLFLOW and protocol.mlflow_format != "dataframe_records":
        protocol = protocol.model_copy(update={"mlflow_format": "dataframe_records"})
    return Adapter(protocol, system.schema)


def system_plan(system: System, client: httpx.Client) -> FuzzPlan:
    """The plan for `system`: its own bodies broken, judged by its request schema."""
    adapter = fuzz_adapter(system)
    instances = system.instances()[:FUZZ_BODIES]
    bodies = tuple(adapter.body([instance]) for instance in instances)
    first = instances[0] if instances else {}
    key = adapter.list_key
    if key is not None:
        if system.schema.source == "openapi" and system.target.has("openapi"):
            try:
                answer = client.get(system.target.url("openapi"), headers=system.target.headers(),
                                    follow_redirects=True)  # fmt: skip
                answer.raise_for_status()
                plan = plan_from_openapi(answer.json(), system.target.url("predict"), first)
                return FuzzPlan(plan.schema, plan.source, plan.list_key, plan.items,
                                plan.max_items, plan.instance, bodies)  # fmt: skip
            except (httpx.HTTPError, ValueError, LookupError):
                pass  # judged by the instance schema below, as the traffic is
        items = system.schema.json_schema()
        schema = _row_body_schema(key, items, adapter.protocol.body)
        return FuzzPlan(schema, f"instance schema ({system.schema.source})", key, items, None,
                        dict(first), bodies)  # fmt: skip
    if adapter.kind is ProtocolKind.OPEN_INFERENCE:
        tensors = _tensor_schema(system)
        properties = {"inputs": {"type": "array", "minItems": 1, "items": tensors},
                      "parameters": {"type": "object"}, "id": {"type": "string"}}  # fmt: skip
        schema = {"type": "object", "required": ["inputs"], "properties": properties}
        instance = bodies[0]["inputs"][0] if bodies else {}
        return FuzzPlan(schema, f"open inference tensors ({system.schema.source})", "inputs",
                        tensors, None, instance, bodies)  # fmt: skip
    items = system.schema.json_schema()
    return FuzzPlan(items, f"instance schema ({system.schema.source})", None, items, None,
                    dict(first), bodies)  # fmt: skip
