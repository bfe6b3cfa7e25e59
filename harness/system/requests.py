"""The predict operation's request schema from an OpenAPI document ($refs followed, OpenAPI
3.0's `nullable` and boolean exclusive bounds written as JSON Schema), and whether a body
conforms to a JSON Schema (jsonschema judges): what the request schema sources and the
fuzzer both read."""

import json
import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any
from urllib.parse import unquote, urlsplit

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError, UnknownType
from referencing.exceptions import Unresolvable

from readiness.errors import InvalidDescriptor

MAX_REF_DEPTH = 16


class _Unresolvable(InvalidDescriptor):
    """A `$ref` of the target's request schema that points nowhere in its documents."""


def _resolve(ref: str, roots: Sequence[Any]) -> Any:
    """A local JSON pointer ('#/components/schemas/X', '#/$defs/X') in the first root that
    has it: the schemas around the $ref that embed their own $defs, innermost first, then
    the OpenAPI document (FastAPI leaves a pydantic schema given in `openapi_extra` so)."""
    if not ref.startswith("#"):
        raise _Unresolvable(ref)
    path = ref[1:].lstrip("/")
    parts = [unquote(p).replace("~1", "/").replace("~0", "~") for p in path.split("/")]
    for root in roots:
        node = root
        for part in parts if path else []:
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                break
        else:
            return node
    raise _Unresolvable(ref)


def _inline(node: Any, roots: Sequence[Any], depth: int = 0) -> Any:
    """`node` with every $ref replaced by what it points to (a recursive schema is cut to
    {} past MAX_REF_DEPTH)."""
    if isinstance(node, list):
        return [_inline(item, roots, depth) for item in node]
    if not isinstance(node, dict):
        return node
    if "$defs" in node or "definitions" in node:  # a schema embedding its own definitions
        roots = [node, *roots]
    if "$ref" in node:
        if depth >= MAX_REF_DEPTH:
            return {}
        target = _resolve(str(node["$ref"]), roots)
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        merged = {**target, **siblings} if isinstance(target, dict) else target
        return _inline(merged, roots, depth + 1)
    return {
        k: _inline(v, roots, depth) for k, v in node.items() if k not in ("$defs", "definitions")
    }


def _as_json_schema(node: Any) -> Any:
    """OpenAPI 3.0's dialect as JSON Schema 2020-12: `nullable: true` as a null type, and
    boolean `exclusiveMinimum`/`exclusiveMaximum` (draft 4) as the bound they qualify."""
    if isinstance(node, list):
        return [_as_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    schema = {k: _as_json_schema(v) for k, v in node.items() if k != "nullable"}
    for exclusive, bound in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        flag = schema.get(exclusive)
        if isinstance(flag, bool):
            del schema[exclusive]
            if flag and bound in schema:
                schema[exclusive] = schema.pop(bound)
    if node.get("nullable") is True:
        kind = schema.get("type")
        if isinstance(kind, str):
            schema["type"] = [kind, "null"]
        elif isinstance(kind, list) and "null" not in kind:
            schema["type"] = [*kind, "null"]
        elif kind is None:
            schema = {"anyOf": [schema, {"type": "null"}]}
        if "enum" in schema and None not in schema["enum"]:
            schema["enum"] = [*schema["enum"], None]
    return schema


def _template_pattern(template: str) -> re.Pattern[str]:
    pieces = re.split(r"(\{[^}/]+\})", template)
    regex = "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in pieces)
    return re.compile(f"{regex}$")


def predict_schema(openapi: Any, predict_url: str) -> dict[str, Any]:
    """The JSON schema of the predict request body, with its $refs inlined.

    `predict_url` is the target's predict URL; the operation is the POST of the OpenAPI path
    template it ends with. Raises LookupError naming what is missing."""
    if not isinstance(openapi, dict) or not isinstance(openapi.get("paths"), dict):
        raise LookupError("the OpenAPI document has no paths")
    path = urlsplit(predict_url).path
    matching = [
        template for template, operations in openapi["paths"].items()
        if isinstance(operations, dict) and _template_pattern(template).search(path)
    ]  # fmt: skip
    # the longest template the path ends with: a server may add a base path in front
    operation = openapi["paths"][max(matching, key=len)].get("post") if matching else None
    if not isinstance(operation, dict):
        raise LookupError(f"the OpenAPI document has no POST operation for {path}")
    try:
        body = operation.get("requestBody", {})
        if isinstance(body, dict) and "$ref" in body:
            body = _resolve(str(body["$ref"]), [openapi])
        content = body.get("content", {}) if isinstance(body, dict) else {}
        media = next((m for t, m in content.items() if "json" in t and isinstance(m, dict)), {})
        schema = media.get("schema")
        if not isinstance(schema, dict) or not schema:
            raise LookupError(f"POST {path} declares no JSON request body schema")
        found = dict(_as_json_schema(_inline(schema, [openapi])))
    except _Unresolvable as error:
        raise LookupError(f"POST {path}: cannot resolve $ref '{error}'") from error
    problem = schema_problem(found)
    if problem is not None:
        raise LookupError(
            f"POST {path} declares a request schema that is not JSON Schema: {problem}"
        )
    return found


def schema_problem(schema: Mapping[str, Any]) -> str | None:
    """Why jsonschema cannot judge bodies against `schema` (its metaschema's complaint, with
    where in the schema), or None: a schema nothing can be judged against must not pass for
    one that judges every body valid."""
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as error:
        where = "/".join(str(part) for part in error.path)
        return f"{error.message} (at {where or 'the top'})"
    return None


@lru_cache(maxsize=256)
def _validator(text: str) -> Draft202012Validator:
    return Draft202012Validator(json.loads(text))


def conforms(value: Any, schema: Any) -> bool:
    """Whether a parsed JSON value conforms to a JSON Schema (2020-12, as OpenAPI 3.1 and
    pydantic write it), judged by jsonschema. `predict_schema` refuses a schema that fails
    the metaschema; one that still cannot be used here (an unresolvable remote $ref) judges
    nothing wrong rather than failing a body for the schema's fault."""
    if isinstance(schema, bool):
        return schema
    if not isinstance(schema, dict):
        return True
    try:
        return bool(_validator(json.dumps(schema, sort_keys=True)).is_valid(value))
    except (SchemaError, UnknownType, Unresolvable, TypeError, ValueError, RecursionError):
        return True


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _reject_constant(token: str) -> Any:
    raise ValueError(f"{token} is not JSON")


def body_conforms(content: bytes, schema: Mapping[str, Any]) -> bool:
    """Whether raw bytes are strict JSON (no NaN/Infinity) conforming to the schema."""
    try:
        document = json.loads(content.decode("utf-8"), parse_constant=_reject_constant)
        return conforms(document, schema)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return False
