"""Security probes: what a target does with callers it should refuse, and with bad input.

`run_security_probes(target)` reaches the system only through its `Target` (descriptor URLs
and keys) and returns a `SecurityReport`: evidence, not a score. It records

- named checks, each with the request made (method, endpoint name, what was sent, never
  the key itself), the statuses expected, the status observed and its outcome:

  ====================================== ===================================================
  ``predict_refuses_missing_credentials`` a valid predict without a key -> 401
  ``predict_refuses_wrong_key``           a valid predict with the user key altered -> 401
  ``predict_refuses_unentitled_model``    the user key on another model's predict URL -> 403
  ``admin_refuses_missing_credentials``   GET {admin}/deployments without a key -> 401
  ``admin_refuses_user_key``              GET {admin}/deployments with the user key -> 403
  ``burst_gets_429_with_retry_after``     full batches sent concurrently until a 429 that
                                          carries a valid Retry-After
  ====================================== ===================================================

  The credential checks are not applicable where the descriptor declares no credentials
  (the report then notes whether the target answered an unauthenticated predict with a
  2xx); the admin checks where it declares no `admin` endpoint.

  For the entitlement check only 403 passes. The probe's model name does not exist, so a
  404 says the gateway looked the model up before it checked the caller's entitlement: it
  tells any tenant which models exist, and a gateway with no entitlements at all answers
  the same 404, so it proves nothing about access control.

- a fuzz campaign of generated malformed predict requests (`fuzz_cases`): valid bodies are
  generated with hypothesis from the predict operation's request schema in the target's
  OpenAPI document ($refs followed; without one, from a valid instance), then broken one
  way each (`MUTATIONS`). Every body is judged against that schema before it is sent, so a
  2xx is a finding only for a body that breaks the schema. Content types are not judged: a
  valid JSON body under a wrong content type may be answered. The campaign passes with no
  5xx, no transport error (connection refused or reset, timeout: a crash or a hang), no 2xx
  for an invalid body, and the health endpoint answering 2xx afterwards.

The burst runs last: it leaves the tenant's token bucket empty for a moment, and with ours
the campaign's refusals are real bad traffic that the monitors act on (a schema-change alert
pauses batch predictions about a window later). Run the probes on a deployment meant for
them, once. Only `TargetUnavailable` is raised, when the target is down before any probe.
"""

import copy
import itertools
import json
import math
import operator
import re
import string
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx
import hypothesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.internal.conjecture import providers
from hypothesis.internal.constants_ast import Constants
from pydantic import BaseModel, ConfigDict, Field

from harness.target import KEY_HEADER, Target

TIMEOUT = httpx.Timeout(5.0, connect=2.0)
BURST_TIMEOUT = httpx.Timeout(15.0, connect=2.0)
BURST_CONCURRENCY = 8
DEFAULT_MAX_BATCH = 256
"""The largest batch sent in a burst when the schema states no maxItems."""
MAX_EXAMPLES = 5
EXCERPT_CHARS = 300
MAX_REF_DEPTH = 16
OTHER_MODEL = "readiness-probe-unentitled-model"
JSON = "application/json"

FALLBACK_INSTANCE: dict[str, Any] = {
    "age": 40, "workclass": "Private", "fnlwgt": 100000.0, "education": "HS-grad",
    "education_num": 9, "marital_status": "Divorced", "occupation": None,
    "relationship": "Unmarried", "capital_gain": 0, "capital_loss": 0, "hours_per_week": 40,
    "native_country": "Peru",
}  # fmt: skip
"""A valid Adult applicant row: the instance mutated when a target publishes no schema."""

NO_CREDENTIALS = "predict_refuses_missing_credentials"
WRONG_KEY = "predict_refuses_wrong_key"
UNENTITLED_MODEL = "predict_refuses_unentitled_model"
ADMIN_NO_CREDENTIALS = "admin_refuses_missing_credentials"
ADMIN_USER_KEY = "admin_refuses_user_key"
BURST = "burst_gets_429_with_retry_after"
CHECKS = (NO_CREDENTIALS, WRONG_KEY, UNENTITLED_MODEL, ADMIN_NO_CREDENTIALS, ADMIN_USER_KEY, BURST)


class Outcome(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    NOT_AVAILABLE = "not_available"
    NOT_APPLICABLE = "not_applicable"
    ERROR = "error"


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProbeRequest(_Frozen):
    method: str
    endpoint: str
    """The descriptor's name for the endpoint (predict, admin, ...)."""
    description: str


class SecurityCheck(_Frozen):
    name: str
    request: ProbeRequest
    expected: frozenset[int]
    observed: int | None = None
    """The status answered; None when nothing was sent or no answer came."""
    outcome: Outcome
    retry_after: str | None = None
    requests_sent: int = 0
    duration_s: float = 0.0
    detail: str = ""
    """Why it failed, was not applicable or could not be run; what the burst took."""

    @property
    def passed(self) -> bool:
        return self.outcome is Outcome.PASS


class FuzzExample(_Frozen):
    mutation: str
    description: str
    body: str
    """The request body's first characters (undecodable bytes replaced)."""
    body_bytes: int
    content_type: str
    status: int | None = None
    answer: str = ""
    """The response body's first characters, or the transport error."""


class FuzzCampaign(_Frozen):
    seed: int
    schema_source: str
    """'openapi', or 'fallback: <why>' when bodies were mutated from a valid instance."""
    requests: int
    status_counts: dict[int, int]
    by_mutation: dict[str, dict[int, int]]
    """Statuses answered per mutation; transport errors are counted under 0."""
    valid_bodies: int
    """Bodies that conform to the schema (a 2xx is fine for them)."""
    accepted_invalid: int
    accepted_invalid_examples: list[FuzzExample] = Field(max_length=MAX_EXAMPLES)
    server_errors: int
    server_error_examples: list[FuzzExample] = Field(max_length=MAX_EXAMPLES)
    transport_errors: int
    transport_error_examples: list[FuzzExample] = Field(max_length=MAX_EXAMPLES)
    health_after: int | None
    """The health endpoint's status after the campaign; None when it did not answer."""
    duration_s: float
    outcome: Outcome

    @property
    def passed(self) -> bool:
        return self.outcome is Outcome.PASS


class SecurityReport(_Frozen):
    target: str
    digest: str
    started: datetime
    duration_s: float
    checks: list[SecurityCheck]
    fuzz: FuzzCampaign
    notes: list[str] = []

    def check(self, name: str) -> SecurityCheck:
        found = [c for c in self.checks if c.name == name]
        if not found:
            raise KeyError(f"no security check '{name}' (checks: {', '.join(CHECKS)})")
        return found[0]

    @property
    def passed(self) -> bool:
        """Every check passed or does not apply, and the fuzz campaign passed."""
        fine = {Outcome.PASS, Outcome.NOT_APPLICABLE}
        return all(c.outcome in fine for c in self.checks) and self.fuzz.passed


# --- the request schema -----------------------------------------------------------------


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
            bool(fits(value, schema[key])) for key, fits in bounds if _is_number(schema.get(key))
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


def _is_number(value: Any) -> bool:
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


# --- generation ---------------------------------------------------------------------------

_SCALARS = st.none() | st.booleans() | st.integers(-1000, 1000) | st.text(max_size=12)
MAX_GENERATED_ITEMS = 3
MAX_GENERATED_TEXT = 24


def _bounds(schema: Mapping[str, Any]) -> tuple[float | None, float | None, bool, bool]:
    low, high = schema.get("minimum"), schema.get("maximum")
    exclude_low = exclude_high = False
    if _is_number(schema.get("exclusiveMinimum")):
        low, exclude_low = schema["exclusiveMinimum"], True
    if _is_number(schema.get("exclusiveMaximum")):
        high, exclude_high = schema["exclusiveMaximum"], True
    return low, high, exclude_low, exclude_high


def values(schema: Any) -> st.SearchStrategy[Any]:
    """Values that conform to an inlined JSON schema (lists and texts kept short)."""
    if not isinstance(schema, dict) or not schema:
        return _SCALARS
    if "enum" in schema:
        return st.sampled_from(list(schema["enum"]))
    if "const" in schema:
        return st.just(schema["const"])
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return st.one_of([values(alternative) for alternative in schema[key]])
    if "allOf" in schema:
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            merged.update(part if isinstance(part, dict) else {})
        return values({**merged, **{k: v for k, v in schema.items() if k != "allOf"}})
    kind = schema.get("type", "object" if "properties" in schema else None)
    if isinstance(kind, list):
        return st.one_of([values({**schema, "type": k}) for k in kind])
    return _typed_values(schema, kind)


def _typed_values(schema: Mapping[str, Any], kind: str | None) -> st.SearchStrategy[Any]:
    if kind == "object":
        properties: dict[str, Any] = schema.get("properties", {})
        required = [name for name in schema.get("required", []) if name in properties]
        return st.fixed_dictionaries(
            {name: values(properties[name]) for name in required},
            optional={n: values(s) for n, s in properties.items() if n not in required},
        )
    if kind == "array":
        fewest = int(schema.get("minItems", 0))
        most = min(int(schema.get("maxItems", MAX_GENERATED_ITEMS)), MAX_GENERATED_ITEMS)
        return st.lists(
            values(schema.get("items", {})), min_size=fewest, max_size=max(fewest, most)
        )
    if kind in ("number", "integer"):
        low, high, exclude_low, exclude_high = _bounds(schema)
        whole_low = None if low is None else math.floor(low) + 1 if exclude_low else math.ceil(low)
        whole_high = (
            None if high is None else math.ceil(high) - 1 if exclude_high else math.floor(high)
        )
        whole = st.integers(whole_low, whole_high)
        if kind == "integer":
            return whole
        real = st.floats(low, high, exclude_min=exclude_low, exclude_max=exclude_high,
                         allow_nan=False, allow_infinity=False)  # fmt: skip
        empty = whole_low is not None and whole_high is not None and whole_low > whole_high
        return real if empty else real | whole
    if kind == "string":
        if "pattern" in schema:
            return st.from_regex(schema["pattern"], fullmatch=True)
        shortest = int(schema.get("minLength", 0))
        longest = min(int(schema.get("maxLength", MAX_GENERATED_TEXT)), MAX_GENERATED_TEXT)
        return st.text(min_size=shortest, max_size=max(shortest, longest))
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    return _SCALARS


def example_instance(schema: Any) -> Any:
    """One simple value conforming to `schema`, built without randomness (the first enum
    value, a bound's midpoint, required properties only); None where it cannot build one
    (a string pattern)."""
    if not isinstance(schema, dict):
        return None
    if "enum" in schema:
        return schema["enum"][0] if schema["enum"] else None
    if "const" in schema:
        return schema["const"]
    for key in ("anyOf", "oneOf"):
        for alternative in schema.get(key, []):
            found = example_instance(alternative)
            if found is not None and conforms(found, schema):
                return found
    kind = schema.get("type", "object" if "properties" in schema else None)
    kind = kind[0] if isinstance(kind, list) and kind else kind
    if kind == "object":
        properties = schema.get("properties", {})
        built = {
            name: example_instance(properties.get(name)) for name in schema.get("required", [])
        }
        return None if any(v is None for v in built.values()) else built
    if kind == "array":
        item = example_instance(schema.get("items"))
        return None if item is None else [item] * max(1, int(schema.get("minItems", 1)))
    if kind in ("number", "integer"):
        low, high, _, _ = _bounds(schema)
        if low is not None and high is not None:
            middle = (low + high) / 2
            return math.floor(middle) if kind == "integer" else middle
        return low if low is not None else high if high is not None else 0
    if kind == "string" and "pattern" not in schema:
        return "x" * int(schema.get("minLength", 1))
    if kind == "boolean":
        return False
    return None


@dataclass(frozen=True)
class FuzzCase:
    """One generated request: its body as bytes, its content type, which mutation made it
    and whether the body still conforms to the schema."""

    mutation: str
    description: str
    content: bytes
    content_type: str
    valid: bool


@dataclass(frozen=True)
class FuzzPlan:
    """What the generator works from: the predict body's schema, where the instances sit
    in it, and one valid instance."""

    schema: dict[str, Any]
    source: str
    list_key: str | None
    """The body's array of instances ('instances'); None when the body is one instance."""
    items: dict[str, Any]
    max_items: int | None
    instance: dict[str, Any]


def plan_from_openapi(
    openapi: Any, predict_url: str, valid_instance: Mapping[str, Any] | None = None
) -> FuzzPlan:
    """The plan for a target's OpenAPI document; the fallback plan (mutating a valid
    instance) when the document has no usable predict request schema."""
    try:
        schema = predict_schema(openapi, predict_url)
    except LookupError as missing:
        return fallback_plan(str(missing), valid_instance)
    properties = schema.get("properties", {})
    list_key = next(
        (name for name, s in properties.items() if name in schema.get("required", [])
         and isinstance(s, dict) and s.get("type") == "array"),
        None,
    )  # fmt: skip
    items = properties[list_key].get("items", {}) if list_key else schema
    max_items = properties[list_key].get("maxItems") if list_key else None
    candidates = [valid_instance, FALLBACK_INSTANCE, example_instance(items)]
    instance = next((dict(c) for c in candidates if c is not None and conforms(c, items)), None)
    if instance is None:
        return fallback_plan("cannot build a valid instance of its request schema", valid_instance)
    return FuzzPlan(schema, "openapi", list_key, items, max_items, instance)


def fallback_plan(reason: str, valid_instance: Mapping[str, Any] | None = None) -> FuzzPlan:
    """Mutations of `valid_instance` (default: the Adult applicant row) in a predict body
    {"instances": [...]}, judged against a schema read off the instance: its value types,
    its non-null fields required, no other field allowed."""
    instance = dict(valid_instance if valid_instance is not None else FALLBACK_INSTANCE)
    names = {bool: "boolean", int: "number", float: "number", str: "string"}
    properties = {
        name: {"type": [names.get(type(value), "object"), "null"]}
        if value is not None else {}
        for name, value in instance.items()
    }  # fmt: skip
    items = {
        "type": "object", "properties": properties, "additionalProperties": False,
        "required": [name for name, value in instance.items() if value is not None],
    }  # fmt: skip
    schema = {
        "type": "object", "required": ["instances"], "additionalProperties": False,
        "properties": {"instances": {"type": "array", "minItems": 1, "items": items}},
    }  # fmt: skip
    return FuzzPlan(schema, f"fallback: {reason}", "instances", items, None, instance)


@dataclass(frozen=True)
class _Field:
    name: str
    schema: dict[str, Any]
    """The field's schema without its null alternative."""
    nullable: bool


def _branches(schema: Any) -> list[dict[str, Any]]:
    """The object schemas an instance may match (anyOf/oneOf flattened)."""
    if not isinstance(schema, dict):
        return []
    alternatives = schema.get("oneOf", schema.get("anyOf"))
    if isinstance(alternatives, list):
        return [b for alternative in alternatives for b in _branches(alternative)]
    return [schema] if "properties" in schema or schema.get("type") == "object" else []


def _fields(items: Any) -> list[_Field]:
    """The fields of the instance schema `items` (or of one of its branches)."""
    found: dict[str, _Field] = {}
    for branch in _branches(items):
        for name, schema in branch.get("properties", {}).items():
            if name in found or not isinstance(schema, dict):
                continue
            alternatives = schema.get("anyOf", schema.get("oneOf"))
            nullable = schema.get("type") == "null" or conforms(None, schema)
            if isinstance(alternatives, list):
                real = [a for a in alternatives if isinstance(a, dict) and a.get("type") != "null"]
                core = real[0] if len(real) == 1 else schema
            else:
                core = schema
            found[name] = _Field(name, core, nullable)
    return list(found.values())


def _kind(field: _Field) -> str:
    if "enum" in field.schema:
        return "category"
    kind = field.schema.get("type")
    kind = next((k for k in kind if k != "null"), None) if isinstance(kind, list) else kind
    return kind if kind in ("number", "integer", "string", "boolean") else "other"


Draw = st.DrawFn
Mutated = tuple[str, bytes, str]
"""(description, content, content type)."""


def _dumps(value: Any) -> bytes:
    return json.dumps(value, allow_nan=True).encode()


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:37]}..."


def _instances(plan: FuzzPlan, body: Any) -> list[Any]:
    if plan.list_key is None:
        return [body]
    found = body.get(plan.list_key) if isinstance(body, dict) else None
    return found if isinstance(found, list) else []


def _pick_instance(draw: Draw, plan: FuzzPlan, body: Any) -> tuple[str, dict[str, Any]]:
    """An instance of the body to break, and where it is."""
    instances = [i for i in _instances(plan, body) if isinstance(i, dict)]
    if not instances:  # a schema whose valid bodies may hold none: break the plan's own
        instances = [copy.deepcopy(plan.instance)]
        if plan.list_key is not None and isinstance(body, dict):
            body[plan.list_key] = instances
    index = draw(st.integers(0, len(instances) - 1))
    where = f"{plan.list_key}[{index}]" if plan.list_key else "body"
    return where, instances[index]


def _branch_of(plan: FuzzPlan, instance: Mapping[str, Any]) -> dict[str, Any]:
    """The branch of the instance schema an instance was generated from."""
    return next((b for b in _branches(plan.items) if conforms(instance, b)), plan.items)


UNKNOWN_FIELD = "readiness_probe_field"


def _set_field(
    draw: Draw, plan: FuzzPlan, body: Any, wanted: Callable[[_Field], bool],
    make: Callable[[_Field], Any],
) -> str:  # fmt: skip
    """Set a `wanted` field of one instance (of the schema branch that instance matches)
    to `make(field)`; the description. Without such a field, an unknown one is set."""
    where, instance = _pick_instance(draw, plan, body)
    fields = [f for f in _fields(_branch_of(plan, instance)) if wanted(f)]
    fields = fields or [f for f in _fields(plan.items) if wanted(f)]
    fields = fields or [_Field(UNKNOWN_FIELD, {}, True)]
    field = draw(st.sampled_from(fields))
    instance[field.name] = value = make(field)
    shown = f"<{len(value)} chars>" if isinstance(value, str) and len(value) > 40 else _short(value)
    return f"{where}.{field.name} = {shown}"


def _is_number_field(field: _Field) -> bool:
    return _kind(field) in ("number", "integer")


def _wrong_type(draw: Draw, plan: FuzzPlan, body: Any) -> Mutated:
    wrong_for_numbers = st.sampled_from(["40", "forty", True, [], {"value": 1}, [40]])
    wrong_for_text = st.sampled_from([0, 1.5, True, [], {"value": "x"}, ["Private"]])
    description = _set_field(draw, plan, body, lambda f: _kind(f) != "other", lambda f: draw(
        wrong_for_numbers if _is_number_field(f) else wrong_for_text
    ))  # fmt: skip
    return description, _dumps(body), JSON


def _out_of_range(draw: Draw, plan: FuzzPlan, body: Any) -> Mutated:
    def outside(field: _Field) -> Any:
        low, high, _, _ = _bounds(field.schema)
        extremes = [1e308, -1e308, 10**30, -(10**30), 2**63]
        options = [
            *(["below"] if low is not None else []),
            *(["above"] if high is not None else []),
        ]
        side = draw(st.sampled_from([*options, "extreme"]))
        step = draw(st.sampled_from([1, 0.5, 1e-6, 1000, 1e9]))
        if side == "below" and low is not None:
            return low - step
        if side == "above" and high is not None:
            return high + step
        return draw(st.sampled_from(extremes))

    return _set_field(draw, plan, body, _is_number_field, outside), _dumps(body), JSON


NAN_STRINGS = ["NaN", "nan", "Infinity", "-Infinity", "inf", "-inf", "1e999"]


def _nan_inf_string(draw: Draw, plan: FuzzPlan, body: Any) -> Mutated:
    nan = st.sampled_from(NAN_STRINGS)
    return _set_field(draw, plan, body, _is_number_field, lambda _: draw(nan)), _dumps(body), JSON


def _nan_inf_literal(draw: Draw, plan: FuzzPlan, body: Any) -> Mutated:
    """NaN or Infinity as a bare token: what Python's json.dumps writes, and not JSON."""
    special = st.sampled_from([math.nan, math.inf, -math.inf])
    described = _set_field(draw, plan, body, _is_number_field, lambda _: draw(special))
    return described, _dumps(body), JSON


def _unseen_category(draw: Draw, plan: FuzzPlan, body: Any) -> Mutated:
    def unseen(field: _Field) -> Any:
        known = [str(v) for v in field.schema.get("enum", ["x"])]
        seen = draw(st.sampled_from(known))
        value: str = draw(st.sampled_from(
            [seen.lower(), seen.upper(), f"{seen} ", f" {seen}", "", "Unknown", "?", "other"]
        ) | st.text(max_size=16))  # fmt: skip
        return value if value not in known else f"{value}?"

    described = _set_field(draw, plan, body, lambda f: _kind(f) == "category", unseen)
    return described, _dumps(body), JSON


def _missing_required(draw: Draw, plan: FuzzPlan, body: Any) -> Mutated:
    if plan.list_key is not None and draw(st.integers(0, 4)) == 0:
        del body[plan.list_key]
        return f"no {plan.list_key}", _dumps(body), JSON
    where, instance = _pick_instance(draw, plan, body)
    required = [n for n in _branch_of(plan, instance).get("required", []) if n in instance]
    name = draw(st.sampled_from(required or list(instance) or [UNKNOWN_FIELD]))
    instance.pop(name, None)
    return f"{where} without {name}", _dumps(body), JSON


def _unknown_field(draw: Draw, plan: FuzzPlan, body: Any) -> Mutated:
    known = {f.name for f in _fields(plan.items)} | set(plan.schema.get("properties", {}))
    name = draw(st.text(string.ascii_lowercase + "_", min_size=1, max_size=12))
    name = name if name not in known else f"{name}_unknown"
    value = draw(_SCALARS)
    if draw(st.booleans()) and isinstance(body, dict) and plan.list_key is not None:
        body[name] = value
        return f"body.{name} = {_short(value)}", _dumps(body), JSON
    where, instance = _pick_instance(draw, plan, body)
    instance[name] = value
    return f"{where}.{name} = {_short(value)}", _dumps(body), JSON


def _null(draw: Draw, plan: FuzzPlan, body: Any) -> Mutated:
    choice = draw(st.sampled_from(["field", "field", "instance", "list"]))
    if choice == "list" and plan.list_key is not None:
        body[plan.list_key] = None
        return f"{plan.list_key} = None", _dumps(body), JSON
    if choice == "instance" and plan.list_key is not None and _instances(plan, body):
        body[plan.list_key][0] = None
        return f"{plan.list_key}[0] = None", _dumps(body), JSON
    described = _set_field(draw, plan, body, lambda f: not f.nullable, lambda _: None)
    return described, _dumps(body), JSON


HUGE_SIZES = [4_096, 65_536, 1_100_000]


def _huge_string(draw: Draw, plan: FuzzPlan, body: Any) -> Mutated:
    size = draw(st.sampled_from(HUGE_SIZES))
    filler = draw(st.sampled_from(["x", "é", "A0", "\\"]))
    value = (filler * size)[:size]
    return _set_field(draw, plan, body, lambda _: True, lambda _: value), _dumps(body), JSON


def _empty_instances(draw: Draw, plan: FuzzPlan, body: Any) -> Mutated:
    if plan.list_key is None:
        return "{}", b"{}", JSON
    body[plan.list_key] = []
    return f"{plan.list_key} = []", _dumps(body), JSON


def _oversized_instances(draw: Draw, plan: FuzzPlan, body: Any) -> Mutated:
    if plan.list_key is None:
        return _wrong_shape(draw, plan, body)
    limit = plan.max_items if plan.max_items is not None else DEFAULT_MAX_BATCH
    count = limit + draw(st.integers(1, 64))
    body[plan.list_key] = [copy.deepcopy(plan.instance)] * count
    return f"{count} {plan.list_key} (max {limit})", _dumps(body), JSON


def _not_json(draw: Draw, plan: FuzzPlan, body: Any) -> Mutated:
    text = _dumps(body)
    kind = draw(st.sampled_from(["truncated", "bytes", "text", "empty", "python", "bad utf-8"]))
    if kind == "truncated":
        content = text[: draw(st.integers(0, max(0, len(text) - 1)))]
    elif kind == "bytes":
        content = draw(st.binary(max_size=200))
    elif kind == "text":
        content = draw(st.text(max_size=80)).encode()
    elif kind == "python":
        content = repr(body).encode()
    elif kind == "bad utf-8":
        content = text.replace(b'"', b'"\xff\xfe', 1)
    else:
        content = b""
    return f"not JSON ({kind}, {len(content)} bytes)", content, JSON


WRONG_CONTENT_TYPES = [
    "text/plain", "application/xml", "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=readiness", "application/octet-stream",
]  # fmt: skip


def _wrong_content_type(draw: Draw, plan: FuzzPlan, body: Any) -> Mutated:
    """A valid body under another content type: a 2xx is recorded, not held against it."""
    content_type = draw(st.sampled_from(WRONG_CONTENT_TYPES))
    if content_type.startswith("application/x-www") and draw(st.booleans()):
        key = plan.list_key or "body"
        return f"form-encoded {key}", f"{key}={_dumps(body).decode()}".encode(), content_type
    return f"valid body as {content_type}", _dumps(body), content_type


def _wrong_shape(draw: Draw, plan: FuzzPlan, body: Any) -> Mutated:
    instance = copy.deepcopy(plan.instance)
    key = plan.list_key or "instances"
    shapes: list[tuple[str, Any]] = [
        ("a list of bodies", [body]), ("a string", "instances"), ("a number", 42),
        ("null", None), ("true", True), (f"{key} as an object", {key: instance}),
        (f"{key} as a string", {key: json.dumps(instance)}),
        (f"{key} of scalars", {key: [1, "a", None, True]}),
        (f"{key} of lists", {key: [list(instance.values())]}),
    ]  # fmt: skip
    description, value = draw(st.sampled_from(shapes))
    return f"body is {description}", _dumps(value), JSON


NESTING_DEPTHS = [1_000, 10_000, 100_000]


def _deep_nesting(draw: Draw, plan: FuzzPlan, body: Any) -> Mutated:
    """Well-formed JSON nested deeper than a recursive parser goes."""
    depth = draw(st.sampled_from(NESTING_DEPTHS))
    shape = draw(st.sampled_from(["arrays", "objects"]))
    if shape == "arrays":
        nested = b"[" * depth + b"]" * depth
    else:
        nested = b'{"a":' * depth + b"1" + b"}" * depth
    key = plan.list_key or "instances"
    return f"{key} = {depth} nested {shape}", b'{"' + key.encode() + b'": ' + nested + b"}", JSON


Mutator = Callable[[Draw, FuzzPlan, Any], Mutated]
MUTATIONS: dict[str, Mutator] = {
    "wrong_type": _wrong_type,
    "out_of_range": _out_of_range,
    "nan_inf_string": _nan_inf_string,
    "nan_inf_literal": _nan_inf_literal,
    "unseen_category": _unseen_category,
    "missing_required": _missing_required,
    "unknown_field": _unknown_field,
    "null": _null,
    "huge_string": _huge_string,
    "empty_instances": _empty_instances,
    "oversized_instances": _oversized_instances,
    "not_json": _not_json,
    "wrong_content_type": _wrong_content_type,
    "wrong_shape": _wrong_shape,
    "deep_nesting": _deep_nesting,
}
"""Each way a body is broken; every one but wrong_content_type yields an invalid body."""


def fuzz_cases(plan: FuzzPlan, mutation: str) -> st.SearchStrategy[FuzzCase]:
    """Requests made by breaking a valid body (generated from the plan's schema) the
    `mutation` way."""
    mutate, bodies = MUTATIONS[mutation], values(plan.schema)

    @st.composite
    def case(draw: Draw) -> FuzzCase:
        body = copy.deepcopy(draw(bodies))
        description, content, content_type = mutate(draw, plan, body)
        valid = body_conforms(content, plan.schema)
        return FuzzCase(mutation, description, content, content_type, valid)

    return case()


def _quotas(count: int) -> dict[str, int]:
    """`count` cases shared out evenly over the mutations, in MUTATIONS order."""
    share, extra = divmod(count, len(MUTATIONS))
    return {name: share + (index < extra) for index, name in enumerate(MUTATIONS)}


def _drive(plan: FuzzPlan, count: int, seed: int, visit: Callable[[FuzzCase], None]) -> None:
    """Hypothesis as a generator: `count` cases from `seed`, an even share per mutation,
    each handed to `visit`, which must not raise (nothing is shrunk). Generation does not
    depend on what `visit` does, nor on what the process imported, so the same seed gives
    the same cases whether they are sent or only collected, here or in another process."""
    with _without_local_constants():
        for mutation, quota in _quotas(count).items():
            _drive_one(plan, mutation, quota, seed, visit)


@contextmanager
def _without_local_constants() -> Iterator[None]:
    """Hypothesis mixes the literals of every local module imported so far into what it
    draws (`providers._get_local_constants`), so the same seed would generate other bodies
    in a process that had imported other modules. Switch that off while a campaign
    generates; where a hypothesis release no longer has it, there is nothing to switch."""
    original = getattr(providers, "_get_local_constants", None)
    cache = getattr(providers, "CONSTANTS_CACHE", None)
    if original is None or cache is None:
        yield
        return
    nothing = Constants()
    providers._get_local_constants = lambda: nothing
    cache.cache.clear()  # holds the constants allowed per kind of draw, locals included
    try:
        yield
    finally:
        providers._get_local_constants = original
        cache.cache.clear()


def _drive_one(
    plan: FuzzPlan, mutation: str, quota: int, seed: int, visit: Callable[[FuzzCase], None]
) -> None:
    visited = 0

    def count(case: FuzzCase) -> None:
        nonlocal visited
        if visited < quota:
            visited += 1
            visit(case)

    for attempt in range(quota + 1):  # hypothesis may stop early on a small search space
        if visited >= quota:
            return
        run = settings(
            max_examples=quota - visited, database=None, phases=[Phase.generate],
            deadline=None, suppress_health_check=list(HealthCheck),
        )(given(fuzz_cases(plan, mutation))(count))  # fmt: skip
        hypothesis.seed(seed + attempt)(run)()


def generate_fuzz_cases(plan: FuzzPlan, count: int, seed: int = 0) -> list[FuzzCase]:
    """The requests a campaign of `count` with `seed` sends, without sending them."""
    cases: list[FuzzCase] = []
    _drive(plan, count, seed, cases.append)
    return cases


# --- sending --------------------------------------------------------------------------------


def _excerpt(content: bytes | str) -> str:
    text = content.decode("utf-8", "replace") if isinstance(content, bytes) else content
    return text if len(text) <= EXCERPT_CHARS else f"{text[:EXCERPT_CHARS]}..."


def _error_text(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:EXCERPT_CHARS]


@dataclass
class _Tally:
    statuses: Counter[int]
    by_mutation: dict[str, Counter[int]]
    valid: int = 0
    accepted_invalid: int = 0
    server_errors: int = 0
    transport_errors: int = 0

    def __post_init__(self) -> None:
        self.examples: dict[str, list[FuzzExample]] = {
            "accepted": [],
            "server": [],
            "transport": [],
        }

    def keep(self, kind: str, example: FuzzExample) -> None:
        """Up to MAX_EXAMPLES distinct examples, as many mutations among them as possible."""
        kept = self.examples[kind]
        if any(
            (e.mutation, e.description) == (example.mutation, example.description) for e in kept
        ):
            return
        if len(kept) < MAX_EXAMPLES:
            kept.append(example)
            return
        mutations = Counter(e.mutation for e in kept)
        if example.mutation not in mutations:
            repeated = [i for i, e in enumerate(kept) if mutations[e.mutation] > 1]
            if repeated:
                kept[repeated[-1]] = example


def run_fuzz_campaign(
    target: Target, plan: FuzzPlan, count: int, seed: int, client: httpx.Client
) -> FuzzCampaign:
    """Send `count` generated cases to the predict endpoint with the user key, then ask the
    health endpoint whether the target survived.

    Each case goes on a connection of its own (`connection: close`): a server may close a
    kept-alive connection after a 500, and the next case sent on it would then be counted
    as a transport error it did not cause."""
    url, key_headers = target.url("predict"), target.headers()
    tally = _Tally(Counter(), {})
    started = time.perf_counter()

    def send(case: FuzzCase) -> None:
        example = FuzzExample(
            mutation=case.mutation, description=case.description, body=_excerpt(case.content),
            body_bytes=len(case.content), content_type=case.content_type,
        )  # fmt: skip
        counts = tally.by_mutation.setdefault(case.mutation, Counter())
        tally.valid += case.valid
        try:
            headers = {**key_headers, "content-type": case.content_type, "connection": "close"}
            answer = client.post(url, content=case.content, headers=headers)
        except httpx.TransportError as error:
            tally.transport_errors += 1
            counts[0] += 1
            tally.keep("transport", example.model_copy(update={"answer": _error_text(error)}))
            return
        status = answer.status_code
        tally.statuses[status] += 1
        counts[status] += 1
        example = example.model_copy(update={"status": status, "answer": _excerpt(answer.text)})
        if status >= 500:
            tally.server_errors += 1
            tally.keep("server", example)
        elif 200 <= status < 300 and not case.valid:
            tally.accepted_invalid += 1
            tally.keep("accepted", example)

    _drive(plan, count, seed, send)
    health = _status(client, "GET", target.url("health"), key_headers)
    healthy = health is not None and 200 <= health < 300
    clean = tally.server_errors == tally.transport_errors == tally.accepted_invalid == 0
    return FuzzCampaign(
        seed=seed, schema_source=plan.source, requests=sum(tally.statuses.values())
        + tally.transport_errors, status_counts=dict(sorted(tally.statuses.items())),
        by_mutation={m: dict(sorted(c.items())) for m, c in sorted(tally.by_mutation.items())},
        valid_bodies=tally.valid, accepted_invalid=tally.accepted_invalid,
        accepted_invalid_examples=tally.examples["accepted"], server_errors=tally.server_errors,
        server_error_examples=tally.examples["server"], transport_errors=tally.transport_errors,
        transport_error_examples=tally.examples["transport"], health_after=health,
        duration_s=round(time.perf_counter() - started, 3),
        outcome=Outcome.PASS if clean and healthy else Outcome.FAIL,
    )  # fmt: skip


def _status(
    client: httpx.Client, method: str, url: str, headers: Mapping[str, str], body: Any = None
) -> int | None:
    try:
        return client.request(method, url, json=body, headers=dict(headers)).status_code
    except httpx.TransportError:
        return None


@dataclass(frozen=True)
class _Probe:
    """One request a named check makes, and what it expects."""

    name: str
    method: str
    endpoint: str
    description: str
    expected: frozenset[int]

    def request(self) -> ProbeRequest:
        return ProbeRequest(
            method=self.method, endpoint=self.endpoint, description=self.description
        )

    def skipped(self, outcome: Outcome, why: str, observed: int | None = None) -> SecurityCheck:
        return SecurityCheck(
            name=self.name, request=self.request(), expected=self.expected, observed=observed,
            outcome=outcome, requests_sent=int(observed is not None), detail=why,
        )  # fmt: skip

    def send(
        self, client: httpx.Client, url: str, headers: Mapping[str, str], body: Any = None
    ) -> SecurityCheck:
        started = time.perf_counter()
        try:
            answer = client.request(self.method, url, json=body, headers=dict(headers))
        except httpx.TransportError as error:
            return self.skipped(Outcome.ERROR, f"no answer: {_error_text(error)}").model_copy(
                update={"requests_sent": 1, "duration_s": time.perf_counter() - started}
            )
        passed = answer.status_code in self.expected
        return SecurityCheck(
            name=self.name, request=self.request(), expected=self.expected,
            observed=answer.status_code, outcome=Outcome.PASS if passed else Outcome.FAIL,
            requests_sent=1, duration_s=round(time.perf_counter() - started, 3),
            detail="" if passed else f"answered {answer.status_code}: {_excerpt(answer.text)}",
        )  # fmt: skip


def _credential_checks(
    target: Target, client: httpx.Client, body: dict[str, Any]
) -> tuple[list[SecurityCheck], list[str]]:
    """The predict and admin checks; notes on what an unprotected target accepted."""
    credentials = target.descriptor.credentials
    declared = credentials.api_key_env is not None
    key = target.key("api")
    predict = target.url("predict")
    notes: list[str] = []
    missing = _Probe(NO_CREDENTIALS, "POST", "predict",
                     "a valid one-instance body without an API key", frozenset({401}))  # fmt: skip
    wrong = _Probe(WRONG_KEY, "POST", "predict",
                   "a valid one-instance body with the user key's last character changed",
                   frozenset({401}))  # fmt: skip
    other = _Probe(UNENTITLED_MODEL, "POST", "predict",
                   f"a valid body to the predict URL of model '{OTHER_MODEL}' with the user key",
                   frozenset({403}))  # fmt: skip
    checks: list[SecurityCheck] = []
    if not declared:
        observed = _status(client, "POST", predict, {}, body)
        why = "the descriptor declares no credentials"
        if observed is not None and 200 <= observed < 300:
            notes.append(f"the target answered an unauthenticated predict request {observed}")
            why += f"; the target answered a predict without any key {observed}"
        checks.append(missing.skipped(Outcome.NOT_APPLICABLE, why, observed))
        checks.append(
            wrong.skipped(Outcome.NOT_APPLICABLE, "the descriptor declares no credentials")
        )
        checks.append(other.skipped(Outcome.NOT_APPLICABLE,
                                    "the descriptor declares no credentials: no tenant has "
                                    "entitlements"))  # fmt: skip
    else:
        checks.append(missing.send(client, predict, {}, body))
        if key is None:
            unread = f"the user key {credentials.api_key_env} is not set"
            checks.append(wrong.skipped(Outcome.NOT_AVAILABLE, unread))
            checks.append(other.skipped(Outcome.NOT_AVAILABLE, unread))
        else:
            altered = key[:-1] + ("A" if key[-1] != "A" else "B")
            checks.append(wrong.send(client, predict, {KEY_HEADER: altered}, body))
            template = target.descriptor.endpoints.predict
            if "{model}" not in template:
                why = "the predict URL names no model"
                checks.append(other.skipped(Outcome.NOT_APPLICABLE, why))
            else:
                url = template.replace("{model}", OTHER_MODEL)
                checks.append(other.send(client, url, target.headers(), body))
    checks.extend(_admin_checks(target, client))
    return checks, notes


def _admin_checks(target: Target, client: httpx.Client) -> list[SecurityCheck]:
    without = _Probe(ADMIN_NO_CREDENTIALS, "GET", "admin", "GET {admin}/deployments without a key",
                     frozenset({401}))  # fmt: skip
    user = _Probe(ADMIN_USER_KEY, "GET", "admin", "GET {admin}/deployments with the user key",
                  frozenset({403}))  # fmt: skip
    if not target.has("admin"):
        why = "the descriptor declares no admin endpoint"
        return [
            without.skipped(Outcome.NOT_APPLICABLE, why),
            user.skipped(Outcome.NOT_APPLICABLE, why),
        ]
    url = f"{target.url('admin').rstrip('/')}/deployments"
    if target.descriptor.credentials.api_key_env is None:
        why = "the descriptor declares no credentials"
        return [
            without.skipped(Outcome.NOT_APPLICABLE, why),
            user.skipped(Outcome.NOT_APPLICABLE, why),
        ]
    checks = [without.send(client, url, {})]
    if target.key("api") is None:
        checks.append(user.skipped(Outcome.NOT_AVAILABLE, "the user key is not set"))
    else:
        checks.append(user.send(client, url, target.headers()))
    return checks


def _valid_retry_after(value: str | None) -> bool:
    """delta-seconds or an HTTP date (RFC 9110)."""
    if value is None:
        return False
    if value.strip().isdigit():
        return True
    try:
        parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return False
    return True


def burst_check(
    target: Target,
    plan: FuzzPlan,
    *,
    batch: int,
    limit: int,
    instances: Sequence[Mapping[str, Any]] = (),
) -> SecurityCheck:
    """Concurrent predicts of `batch` instances with the user key, in waves of
    BURST_CONCURRENCY, until a 429 arrives or `limit` requests were sent.

    The instances are `instances` in turn (real traffic: the burst's accepted part then
    looks like ordinary traffic to the target's monitors), or copies of the plan's valid
    instance, which a drift monitor rightly sees as a thousand identical applicants."""
    pool_of = list(instances) or [plan.instance]
    bodies = [
        _dumps({plan.list_key: [pool_of[(start + i) % len(pool_of)] for i in range(batch)]})
        if plan.list_key else _dumps(plan.instance)
        for start in range(0, batch * BURST_CONCURRENCY, batch)
    ]  # fmt: skip
    turn = itertools.count()  # next() on a count is atomic under the GIL
    probe = _Probe(BURST, "POST", "predict",
                   f"up to {limit} predicts of {batch} instances, {BURST_CONCURRENCY} at a time",
                   frozenset({429}))  # fmt: skip
    headers = {**target.headers(), "content-type": JSON}
    url = target.url("predict")
    statuses: Counter[str] = Counter()
    first: tuple[int, str | None] | None = None
    sent = answered = 0
    started = time.perf_counter()
    limits = httpx.Limits(max_connections=BURST_CONCURRENCY)
    with httpx.Client(timeout=BURST_TIMEOUT, limits=limits) as client:

        def post() -> tuple[int | None, str | None, str]:
            try:
                answer = client.post(url, content=bodies[next(turn) % len(bodies)],
                                     headers=headers)  # fmt: skip
            except httpx.TransportError as error:
                return None, None, _error_text(error)
            return answer.status_code, answer.headers.get("retry-after"), ""

        with ThreadPoolExecutor(BURST_CONCURRENCY) as pool:
            while sent < limit and first is None:
                wave = [pool.submit(post) for _ in range(min(BURST_CONCURRENCY, limit - sent))]
                sent += len(wave)
                for future in as_completed(wave):
                    status, retry_after, _ = future.result()
                    answered += 1
                    statuses[str(status) if status is not None else "no answer"] += 1
                    if status == 429 and first is None:
                        first = (answered, retry_after)
    counts = ", ".join(f"{status}: {n}" for status, n in sorted(statuses.items()))
    duration = round(time.perf_counter() - started, 3)
    if first is None:
        return probe.skipped(Outcome.FAIL, f"no 429 after {sent} requests ({counts})").model_copy(
            update={"requests_sent": sent, "duration_s": duration,
                    "observed": _most_common_status(statuses)}
        )  # fmt: skip
    position, retry_after = first
    valid = _valid_retry_after(retry_after)
    detail = f"first 429 was answer {position} of {sent} sent ({counts})"
    if not valid:
        detail += f"; Retry-After {retry_after!r} is not delta-seconds or an HTTP date"
    return SecurityCheck(
        name=BURST, request=probe.request(), expected=probe.expected, observed=429,
        outcome=Outcome.PASS if valid else Outcome.FAIL, retry_after=retry_after,
        requests_sent=sent, duration_s=duration, detail=detail,
    )  # fmt: skip


def _most_common_status(statuses: Counter[str]) -> int | None:
    numbers = [(n, s) for s, n in statuses.items() if s.isdigit()]
    return int(max(numbers)[1]) if numbers else None


def fetch_plan(
    target: Target, client: httpx.Client, valid_instance: Mapping[str, Any] | None = None
) -> FuzzPlan:
    """The plan from the target's OpenAPI document, or the fallback plan saying why not."""
    if not target.has("openapi"):
        return fallback_plan("the descriptor declares no openapi endpoint", valid_instance)
    try:
        answer = client.get(target.url("openapi"), headers=target.headers())
        answer.raise_for_status()
        document = answer.json()
    except (httpx.HTTPError, ValueError) as error:
        return fallback_plan(f"the OpenAPI document is unreadable: {_error_text(error)}",
                             valid_instance)  # fmt: skip
    return plan_from_openapi(document, target.url("predict"), valid_instance)


def run_security_probes(
    target: Target,
    *,
    fuzz_requests: int = 200,
    seed: int = 0,
    burst_limit: int = 50,
    valid_instance: Mapping[str, Any] | None = None,
    burst_instances: Sequence[Mapping[str, Any]] = (),
) -> SecurityReport:
    """Probe `target`'s access control, rate limit and input validation; see the module
    docstring for the checks. `valid_instance` is one valid instance of its predict body
    (default: built from its request schema, else the Adult applicant row);
    `burst_instances`, real instances for the burst (default: copies of that one)."""
    target.check_up()
    started_at, started = datetime.now(UTC), time.perf_counter()
    with httpx.Client(timeout=TIMEOUT) as client:
        plan = fetch_plan(target, client, valid_instance)
        one = {plan.list_key: [plan.instance]} if plan.list_key else plan.instance
        checks, notes = _credential_checks(target, client, one)
        fuzz = run_fuzz_campaign(target, plan, fuzz_requests, seed, client)
    batch = min(plan.max_items or DEFAULT_MAX_BATCH, DEFAULT_MAX_BATCH)
    checks.append(burst_check(target, plan, batch=batch, limit=burst_limit,
                              instances=burst_instances))  # fmt: skip
    if fuzz.accepted_invalid:
        notes.append(f"the target answered 2xx to {fuzz.accepted_invalid} bodies that break "
                     "its own request schema")  # fmt: skip
    if fuzz.server_errors or fuzz.transport_errors:
        notes.append(f"the fuzz campaign met {fuzz.server_errors} server errors and "
                     f"{fuzz.transport_errors} transport errors")  # fmt: skip
    return SecurityReport(
        target=target.descriptor.name, digest=target.digest, started=started_at,
        duration_s=round(time.perf_counter() - started, 3), checks=checks, fuzz=fuzz,
        notes=notes,
    )  # fmt: skip
