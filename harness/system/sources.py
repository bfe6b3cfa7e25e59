"""Where the request schema comes from: the first source that has one.

1. the JSON Schema file the descriptor names (`data.instance_schema`);
2. the MLflow model signature of the served version in the declared registry (a column
   signature; a tensor signature names no columns and is passed over);
3. the Open Inference Protocol model metadata (`GET /v2/models/{m}`), for a target that
   speaks it;
4. the OpenAPI request body of the predict operation;
5. else inferred from the system's rows (types, ranges, categories).

Each source that was tried and passed over says why, so `readiness init` and the bundle
can show how the schema was chosen.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
import yaml

from harness.system.instances import Column, InstanceSchema, Kind, from_json_schema, infer_schema
from harness.system.requests import predict_schema
from harness.system.rows import SystemRows
from harness.target import Target
from readiness.descriptor import ProtocolKind
from readiness.errors import InvalidDescriptor
from readiness.extras import registry_reader_missing
from readiness.mlflow_uris import using_registry

TIMEOUT_S = 10.0
MLFLOW_KINDS = {"double": Kind.NUMBER, "float": Kind.NUMBER, "long": Kind.INTEGER,
                "integer": Kind.INTEGER, "boolean": Kind.BOOLEAN, "string": Kind.TEXT}  # fmt: skip
V2_KINDS = {"FP16": Kind.NUMBER, "FP32": Kind.NUMBER, "FP64": Kind.NUMBER, "BOOL": Kind.BOOLEAN,
            "BYTES": Kind.TEXT, **{f"INT{n}": Kind.INTEGER for n in (8, 16, 32, 64)},
            **{f"UINT{n}": Kind.INTEGER for n in (8, 16, 32, 64)}}  # fmt: skip


@dataclass
class SchemaChoice:
    schema: InstanceSchema
    passed_over: list[str] = field(default_factory=list)
    """`source: why not`, for every source tried before the one chosen."""


class _NotHere(InvalidDescriptor):
    """This source has no schema; the message says why."""


def _from_file(target: Target, rows: SystemRows | None) -> InstanceSchema:
    declared = target.descriptor.data.instance_schema if target.descriptor.data else None
    if declared is None:
        raise _NotHere("no data.instance_schema declared")
    path = target.descriptor.resolve(declared, target.base)
    try:
        document = yaml.safe_load(path.read_text())  # JSON is YAML too
    except (OSError, yaml.YAMLError) as error:
        raise InvalidDescriptor(f"data.instance_schema: cannot read {path}: {error}") from error
    try:
        return from_json_schema(document if isinstance(document, dict) else {}, "file")
    except ValueError as error:
        raise InvalidDescriptor(f"data.instance_schema: {path}: {error}") from error


def _from_mlflow(target: Target, rows: SystemRows | None) -> InstanceSchema:
    registry = target.descriptor.registry
    if registry is None:
        raise _NotHere("no registry declared")
    cannot = registry_reader_missing(registry.uri)
    if cannot:
        raise _NotHere(cannot)
    try:
        from mlflow import MlflowClient
        from mlflow.models import get_model_info

        client = MlflowClient(registry.uri, registry_uri=registry.uri)
        if registry.served_version:
            version = registry.served_version
        else:
            version = client.get_model_version_by_alias(
                registry.model, registry.aliases.champion
            ).version
        with using_registry(registry.uri):
            info = get_model_info(f"models:/{registry.model}/{version}")
    except Exception as error:  # any MLflow failure: the registry gives no schema
        raise _NotHere(f"the registry gave no model signature ({type(error).__name__}: "
                       f"{str(error)[:160]})") from error  # fmt: skip
    signature = info.signature if info is not None else None
    if signature is None or signature.inputs is None:
        raise _NotHere(f"version {version} of '{registry.model}' was logged without a signature")
    spec = signature.inputs.to_dict()
    if not all(isinstance(c, dict) and c.get("name") and c.get("type") in MLFLOW_KINDS
               for c in spec):  # fmt: skip
        raise _NotHere(f"the signature of version {version} is a tensor, not named columns")
    return InstanceSchema(source="mlflow-signature", columns=tuple(
        Column(name=c["name"], kind=MLFLOW_KINDS[c["type"]], nullable=not c.get("required", True))
        for c in spec
    ))  # fmt: skip


def _from_open_inference(target: Target, rows: SystemRows | None) -> InstanceSchema:
    if target.descriptor.protocol.kind is not ProtocolKind.OPEN_INFERENCE:
        raise _NotHere("the target does not speak the Open Inference Protocol")
    url = target.url("predict").rstrip("/").removesuffix("/infer")
    try:
        answer = httpx.get(url, headers=target.headers(), timeout=TIMEOUT_S,
                           follow_redirects=True)  # fmt: skip
        metadata = answer.json() if answer.is_success else {}
    except (httpx.HTTPError, ValueError) as error:
        raise _NotHere(f"GET {url} failed: {error}") from error
    inputs = metadata.get("inputs") if isinstance(metadata, dict) else None
    if not inputs:
        raise _NotHere(f"GET {url} answered {answer.status_code} with no inputs metadata")
    named = [i for i in inputs if isinstance(i, dict) and i.get("datatype") in V2_KINDS]
    return InstanceSchema(source="open-inference", columns=tuple(
        Column(name=str(i["name"]), kind=V2_KINDS[i["datatype"]]) for i in named
    ))  # fmt: skip


def _from_openapi(target: Target, rows: SystemRows | None) -> InstanceSchema:
    if not target.has("openapi"):
        raise _NotHere("no openapi endpoint declared")
    url = target.url("openapi")
    try:
        answer = httpx.get(url, headers=target.headers(), timeout=TIMEOUT_S,
                           follow_redirects=True)  # fmt: skip
        answer.raise_for_status()
        schema = predict_schema(answer.json(), target.url("predict"))
    except (httpx.HTTPError, ValueError, LookupError) as error:
        raise _NotHere(f"{url}: {error}") from error
    properties = schema.get("properties", {})
    listed = next((s.get("items") for s in properties.values()
                   if isinstance(s, dict) and s.get("type") == "array"), None)  # fmt: skip
    try:
        return from_json_schema(listed if isinstance(listed, dict) else schema, "openapi")
    except ValueError as error:
        raise _NotHere(f"{url}: the predict body's instances: {error}") from error


Source = Callable[[Target, SystemRows | None], InstanceSchema]
SOURCES: tuple[tuple[str, Source], ...] = (
    ("file", _from_file), ("mlflow-signature", _from_mlflow),
    ("open-inference", _from_open_inference), ("openapi", _from_openapi),
)  # fmt: skip


def choose_schema(target: Target, rows: SystemRows | None) -> SchemaChoice:
    """The request schema from the first source that has one, completed with the rows'
    statistics; inferred from the rows when no source has one. InvalidDescriptor when
    nothing gives one (no source and no rows)."""
    passed_over: list[str] = []
    for name, source in SOURCES:
        try:
            found = source(target, rows)
        except _NotHere as why:
            passed_over.append(f"{name}: {why}")
            continue
        return SchemaChoice(found.with_statistics(rows.frame) if rows else found, passed_over)
    if rows is None:
        raise InvalidDescriptor(
            f"target descriptor '{target.descriptor.name}': data: no request schema was found "
            f"({'; '.join(passed_over)}) and no rows are declared to infer one from"
        )
    return SchemaChoice(infer_schema(rows.frame, rows.default_inputs()), passed_over)
