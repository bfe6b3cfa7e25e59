"""Malformed predict bodies generated with hypothesis: a valid body (one of the system's
own rows in its protocol, else one generated from the request schema), broken one way each
(`MUTATIONS`), reproducible by seed across processes."""

import copy
import json
import math
import string
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import hypothesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.internal.conjecture import providers
from hypothesis.internal.constants_ast import Constants

from harness.security.report import DEFAULT_MAX_BATCH, JSON
from harness.system.requests import body_conforms, conforms, is_number, predict_schema

_SCALARS = st.none() | st.booleans() | st.integers(-1000, 1000) | st.text(max_size=12)
MAX_GENERATED_ITEMS = 3
MAX_GENERATED_TEXT = 24


def _bounds(schema: Mapping[str, Any]) -> tuple[float | None, float | None, bool, bool]:
    low, high = schema.get("minimum"), schema.get("maximum")
    exclude_low = exclude_high = False
    if is_number(schema.get("exclusiveMinimum")):
        low, exclude_low = schema["exclusiveMinimum"], True
    if is_number(schema.get("exclusiveMaximum")):
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
    bodies: tuple[Any, ...] = ()
    """Valid bodies of the system's own rows: what the mutations break (without any, bodies
    are generated from the schema)."""


def plan_from_openapi(
    openapi: Any, predict_url: str, valid_instance: Mapping[str, Any] | None = None
) -> FuzzPlan:
    """The plan for a target's OpenAPI document; the fallback plan (mutating the valid
    instance) when the document has no usable predict request schema. LookupError when
    there is neither."""
    try:
        schema = predict_schema(openapi, predict_url)
    except LookupError as missing:
        if valid_instance is None:
            raise
        return fallback_plan(str(missing), valid_instance)
    properties = schema.get("properties", {})
    list_key = next(
        (name for name, s in properties.items() if name in schema.get("required", [])
         and isinstance(s, dict) and s.get("type") == "array"),
        None,
    )  # fmt: skip
    items = properties[list_key].get("items", {}) if list_key else schema
    max_items = properties[list_key].get("maxItems") if list_key else None
    candidates = [valid_instance, example_instance(items)]
    instance = next((dict(c) for c in candidates if c is not None and conforms(c, items)), None)
    if instance is None:
        if valid_instance is None:
            raise LookupError("cannot build a valid instance of its request schema")
        return fallback_plan("cannot build a valid instance of its request schema", valid_instance)
    return FuzzPlan(schema, "openapi", list_key, items, max_items, instance)


def fallback_plan(reason: str, valid_instance: Mapping[str, Any]) -> FuzzPlan:
    """Mutations of `valid_instance` in a predict body {"instances": [...]}, judged against a
    schema read off the instance: its value types, its non-null fields required, no other
    field allowed."""
    instance = dict(valid_instance)
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


def branches(schema: Any) -> list[dict[str, Any]]:
    """The object schemas an instance may match (anyOf/oneOf flattened)."""
    if not isinstance(schema, dict):
        return []
    alternatives = schema.get("oneOf", schema.get("anyOf"))
    if isinstance(alternatives, list):
        return [b for alternative in alternatives for b in branches(alternative)]
    return [schema] if "properties" in schema or schema.get("type") == "object" else []


def _fields(items: Any) -> list[_Field]:
    """The fields of the instance schema `items` (or of one of its branches)."""
    found: dict[str, _Field] = {}
    for branch in branches(items):
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


def dump_body(value: Any) -> bytes:
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
    return next((b for b in branches(plan.items) if conforms(instance, b)), plan.items)


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
    return description, dump_body(body), JSON


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

    return _set_field(draw, plan, body, _is_number_field, outside), dump_body(body), JSON


NAN_STRINGS = ["NaN", "nan", "Infinity", "-Infinity", "inf", "-inf", "1e999"]


def _nan_inf_string(draw: Draw, plan: FuzzPlan, body: Any) -> Mutated:
    nan = st.sampled_from(NAN_STRINGS)
    return (
        _set_field(draw, plan, body, _is_number_field, lambda _: draw(nan)),
        dump_body(body),
        JSON,
    )


def _nan_inf_literal(draw: Draw, plan: FuzzPlan, body: Any) -> Mutated:
    """NaN or Infinity as a bare token: what Python's json.dumps writes, and not JSON."""
    special = st.sampled_from([math.nan, math.inf, -math.inf])
    described = _set_field(draw, plan, body, _is_number_field, lambda _: draw(special))
    return described, dump_body(body), JSON


def _unseen_category(draw: Draw, plan: FuzzPlan, body: Any) -> Mutated:
    def unseen(field: _Field) -> Any:
        known = [str(v) for v in field.schema.get("enum", ["x"])]
        seen = draw(st.sampled_from(known))
        value: str = draw(st.sampled_from(
            [seen.lower(), seen.upper(), f"{seen} ", f" {seen}", "", "Unknown", "?", "other"]
        ) | st.text(max_size=16))  # fmt: skip
        return value if value not in known else f"{value}?"

    described = _set_field(draw, plan, body, lambda f: _kind(f) == "category", unseen)
    return described, dump_body(body), JSON


def _missing_required(draw: Draw, plan: FuzzPlan, body: Any) -> Mutated:
    if plan.list_key is not None and draw(st.integers(0, 4)) == 0:
        del body[plan.list_key]
        return f"no {plan.list_key}", dump_body(body), JSON
    where, instance = _pick_instance(draw, plan, body)
    required = [n for n in _branch_of(plan, instance).get("required", []) if n in instance]
    name = draw(st.sampled_from(required or list(instance) or [UNKNOWN_FIELD]))
    instance.pop(name, None)
    return f"{where} without {name}", dump_body(body), JSON


def _unknown_field(draw: Draw, plan: FuzzPlan, body: Any) -> Mutated:
    known = {f.name for f in _fields(plan.items)} | set(plan.schema.get("properties", {}))
    name = draw(st.text(string.ascii_lowercase + "_", min_size=1, max_size=12))
    name = name if name not in known else f"{name}_unknown"
    value = draw(_SCALARS)
    if draw(st.booleans()) and isinstance(body, dict) and plan.list_key is not None:
        body[name] = value
        return f"body.{name} = {_short(value)}", dump_body(body), JSON
    where, instance = _pick_instance(draw, plan, body)
    instance[name] = value
    return f"{where}.{name} = {_short(value)}", dump_body(body), JSON


def _null(draw: Draw, plan: FuzzPlan, body: Any) -> Mutated:
    choice = draw(st.sampled_from(["field", "field", "instance", "list"]))
    if choice == "list" and plan.list_key is not None:
        body[plan.list_key] = None
        return f"{plan.list_key} = None", dump_body(body), JSON
    if choice == "instance" and plan.list_key is not None and _instances(plan, body):
        body[plan.list_key][0] = None
        return f"{plan.list_key}[0] = None", dump_body(body), JSON
    described = _set_field(draw, plan, body, lambda f: not f.nullable, lambda _: None)
    return described, dump_body(body), JSON


HUGE_SIZES = [4_096, 65_536, 1_100_000]


def _huge_string(draw: Draw, plan: FuzzPlan, body: Any) -> Mutated:
    size = draw(st.sampled_from(HUGE_SIZES))
    filler = draw(st.sampled_from(["x", "é", "A0", "\\"]))
    value = (filler * size)[:size]
    return _set_field(draw, plan, body, lambda _: True, lambda _: value), dump_body(body), JSON


def _empty_instances(draw: Draw, plan: FuzzPlan, body: Any) -> Mutated:
    if plan.list_key is None:
        return "{}", b"{}", JSON
    body[plan.list_key] = []
    return f"{plan.list_key} = []", dump_body(body), JSON


def _oversized_instances(draw: Draw, plan: FuzzPlan, body: Any) -> Mutated:
    if plan.list_key is None:
        return _wrong_shape(draw, plan, body)
    limit = plan.max_items if plan.max_items is not None else DEFAULT_MAX_BATCH
    count = limit + draw(st.integers(1, 64))
    body[plan.list_key] = [copy.deepcopy(plan.instance)] * count
    return f"{count} {plan.list_key} (max {limit})", dump_body(body), JSON


def _not_json(draw: Draw, plan: FuzzPlan, body: Any) -> Mutated:
    text = dump_body(body)
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
        return f"form-encoded {key}", f"{key}={dump_body(body).decode()}".encode(), content_type
    return f"valid body as {content_type}", dump_body(body), content_type


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
    return f"body is {description}", dump_body(value), JSON


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

FIELDS_NEEDED: dict[str, Callable[[_Field], bool]] = {
    "wrong_type": lambda f: _kind(f) != "other",
    "out_of_range": _is_number_field,
    "nan_inf_string": _is_number_field,
    "nan_inf_literal": _is_number_field,
    "unseen_category": lambda f: _kind(f) == "category",
}
"""The field a mutation breaks, where it needs one of a kind: a schema without such a field
(no categories, no numbers) is not fuzzed that way, rather than with an unknown field
under the mutation's name."""


def applicable_mutations(plan: FuzzPlan) -> list[str]:
    """The mutations this plan's schema has a field for, in MUTATIONS order."""
    fields = _fields(plan.items)
    return [name for name in MUTATIONS
            if name not in FIELDS_NEEDED or any(map(FIELDS_NEEDED[name], fields))]  # fmt: skip


def fuzz_cases(plan: FuzzPlan, mutation: str) -> st.SearchStrategy[FuzzCase]:
    """Requests made by breaking a valid body (generated from the plan's schema) the
    `mutation` way."""
    mutate = MUTATIONS[mutation]
    bodies = st.sampled_from(list(plan.bodies)) if plan.bodies else values(plan.schema)

    @st.composite
    def case(draw: Draw) -> FuzzCase:
        body = copy.deepcopy(draw(bodies))
        description, content, content_type = mutate(draw, plan, body)
        valid = body_conforms(content, plan.schema)
        return FuzzCase(mutation, description, content, content_type, valid)

    return case()


def _quotas(count: int, names: list[str]) -> dict[str, int]:
    """`count` cases shared out evenly over the mutations `names`, in their order."""
    share, extra = divmod(count, len(names))
    return {name: share + (index < extra) for index, name in enumerate(names)}


def drive_cases(plan: FuzzPlan, count: int, seed: int, visit: Callable[[FuzzCase], None]) -> None:
    """Hypothesis as a generator: `count` cases from `seed`, an even share per mutation,
    each handed to `visit`, which must not raise (nothing is shrunk). Generation does not
    depend on what `visit` does, nor on what the process imported, so the same seed gives
    the same cases whether they are sent or only collected, here or in another process."""
    with _without_local_constants():
        for mutation, quota in _quotas(count, applicable_mutations(plan)).items():
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
    drive_cases(plan, count, seed, cases.append)
    return cases
