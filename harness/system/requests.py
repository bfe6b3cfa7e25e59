"""The predict operation's request schema from an OpenAPI document ($refs followed), and
whether a body conforms to a JSON Schema: what the request schema sources and the fuzzer
both read."""

import json
import math
import operator
import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import unquote, urlsplit

MAX_REF_DEPTH = 16


class _Unresolvable(Exception):
    pass


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
        return dict(_inline(schema, [openapi]))
    except _Unresolvable as error:
        raise LookupError(f"POST {path}: cannot resolve $ref '{error}'") from error


def _is_type(value: Any, kind: str) -> bool:
    if kind == "null":
        return value is None
    if kind == "boolean":
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if kind == "integer":
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    checks: dict[str, type | tuple[type, ...]] = {
        "number": (int, float), "string": str, "array": list, "object": dict,
    }  # fmt: skip
    expected = checks.get(kind)
    return expected is None or isinstance(value, expected)


def _same(value: Any, other: Any) -> bool:
    return isinstance(value, bool) == isinstance(other, bool) and bool(value == other)


def conforms(value: Any, schema: Any) -> bool:
    """Whether a parsed JSON value conforms to an inlined JSON schema (the keywords request
    schemas use: type, enum, const, bounds, lengths, pattern, required, properties,
    additionalProperties, items, anyOf, oneOf, allOf, not)."""
    if isinstance(schema, bool):
        return schema
    if not isinstance(schema, dict):
        return True
    if "enum" in schema and not any(_same(value, e) for e in schema["enum"]):
        return False
    if "const" in schema and not _same(value, schema["const"]):
        return False
    kinds = schema.get("type")
    if kinds is not None:
        kinds = [kinds] if isinstance(kinds, str) else kinds
        if not any(_is_type(value, k) for k in kinds):
            return False
    if not _fits_own_keywords(value, schema):
        return False
    if "anyOf" in schema and not any(conforms(value, s) for s in schema["anyOf"]):
        return False
    if "oneOf" in schema and sum(conforms(value, s) for s in schema["oneOf"]) != 1:
        return False
    if "allOf" in schema and not all(conforms(value, s) for s in schema["allOf"]):
        return False
    return not ("not" in schema and conforms(value, schema["not"]))


def _fits_own_keywords(value: Any, schema: dict[str, Any]) -> bool:
    if isinstance(value, int | float) and not isinstance(value, bool):
        bounds = [("minimum", operator.ge), ("maximum", operator.le),
                  ("exclusiveMinimum", operator.gt), ("exclusiveMaximum", operator.lt)]  # fmt: skip
        return all(
            bool(fits(value, schema[key])) for key, fits in bounds if is_number(schema.get(key))
        )
    if isinstance(value, str):
        pattern = schema.get("pattern")
        return (
            len(value) >= schema.get("minLength", 0)
            and len(value) <= schema.get("maxLength", math.inf)
            and (pattern is None or re.search(pattern, value) is not None)
        )
    if isinstance(value, list):
        items = schema.get("items", True)
        return (
            len(value) >= schema.get("minItems", 0)
            and len(value) <= schema.get("maxItems", math.inf)
            and all(conforms(item, items) for item in value)
        )
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        return all(name in value for name in schema.get("required", [])) and all(
            conforms(item, properties.get(name, extra)) for name, item in value.items()
        )
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
