"""Malformed predict bodies: a valid body (one of the system's own rows in its protocol,
else one that hypothesis-jsonschema generates from the request schema), broken one way each
(`MUTATIONS`), judged valid or not by jsonschema.

The JSON Schema work is the libraries' (hypothesis-jsonschema generates, jsonschema
validates); what is written here is only what they do not know: the ways an ML endpoint is
broken (a NaN where a number goes, an unseen category, a value out of its training range,
a renamed or missing column, a batch past its limit, JSON nested past a parser's depth).

The mutations draw from a `random.Random` seeded per campaign and mutation, so the same
seed gives the same cases in any process, whatever it imported (hypothesis mixes literals
of the local modules imported so far into what it draws). Bodies generated from a schema,
used only when the system has no rows of its own, come from hypothesis and are reproducible
for a given seed in the same program.
"""

import copy
import json
import random
import string
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import seed as seeded
from hypothesis.configuration import set_hypothesis_home_dir
from hypothesis.errors import HypothesisException
from hypothesis.strategies import SearchStrategy

from harness.security.report import DEFAULT_MAX_BATCH, JSON
from harness.system.requests import body_conforms, conforms, is_number, predict_schema
from readiness.home import readiness_home

GENERATED_BODIES = 32
"""Valid bodies generated from the schema when the system has none of its own."""
_QUIET = settings(database=None, deadline=None, suppress_health_check=list(HealthCheck))


def _from_schema(schema: dict[str, Any]) -> SearchStrategy[Any]:
    """hypothesis-jsonschema's strategy for `schema`. Hypothesis caches its unicode tables
    in `./.hypothesis`, and hypothesis-jsonschema reads them on import: both go under
    READINESS_HOME instead, so a CI job's workspace holds only what the user asked for."""
    set_hypothesis_home_dir(readiness_home().cache / "hypothesis")
    from hypothesis_jsonschema import from_schema

    return from_schema(schema)


def _generation_failed(error: Exception) -> bool:
    """What hypothesis-jsonschema raises for a schema it cannot generate from (an
    unsatisfiable one, a keyword it does not support, a $ref it cannot resolve)."""
    return isinstance(error, HypothesisException | ValueError | TypeError | KeyError)


def minimal_instance(schema: Any) -> Any:
    """The simplest value conforming to `schema` (hypothesis shrinks to it, so it is the
    same on every call); None where none can be generated."""
    if not isinstance(schema, dict):
        return None
    try:
        found = find(_from_schema(schema), lambda _: True, settings=_QUIET,
                     random=random.Random(0))  # fmt: skip
    except Exception as error:
        if _generation_failed(error):
            return None
        raise
    return found if conforms(found, schema) else None


def generated_bodies(schema: dict[str, Any], count: int, seed: int) -> list[Any]:
    """Up to `count` distinct valid bodies that hypothesis-jsonschema draws from `schema`."""
    found: list[Any] = []

    def collect(body: Any) -> None:
        if len(found) < count and body not in found:
            found.append(body)

    try:
        drawing = given(_from_schema(schema))(collect)
        seeded(seed)(settings(_QUIET, max_examples=count * 2, phases=[Phase.generate])(drawing))()
    except Exception as error:
        if not _generation_failed(error):
            raise
    return found


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

    def body_of(self, instance: dict[str, Any]) -> Any:
        return {self.list_key: [instance]} if self.list_key else instance


def plan_from_openapi(
    openapi: Any, predict_url: str, valid_instance: dict[str, Any] | None = None
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
    if valid_instance is not None and conforms(valid_instance, items):
        instance: Any = dict(valid_instance)
    else:
        instance = minimal_instance(items)
    if not isinstance(instance, dict):
        if valid_instance is None:
            raise LookupError("cannot build a valid instance of its request schema")
        return fallback_plan("cannot build a valid instance of its request schema", valid_instance)
    return FuzzPlan(schema, "openapi", list_key, items, max_items, instance)


def fallback_plan(reason: str, valid_instance: dict[str, Any]) -> FuzzPlan:
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


# --- the fields of an instance schema, as the mutations see them ---------------------------


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


def _is_number_field(field: _Field) -> bool:
    return _kind(field) in ("number", "integer")


def _bounds(schema: dict[str, Any]) -> tuple[float | None, float | None]:
    low = schema.get("exclusiveMinimum", schema.get("minimum"))
    high = schema.get("exclusiveMaximum", schema.get("maximum"))
    return (low if is_number(low) else None), (high if is_number(high) else None)


# --- the mutations --------------------------------------------------------------------------

Mutated = tuple[str, bytes, str]
"""(description, content, content type)."""
UNKNOWN_FIELD = "readiness_probe_field"
ODD_CHARACTERS = "é漢🙂\u200b\u202e\x00\\\"'<>{}%$"
"""What a text field may meet besides letters: accents, CJK, an emoji, a zero-width space,
a right-to-left override, a NUL, quotes and markup."""


def dump_body(value: Any) -> bytes:
    return json.dumps(value, allow_nan=True).encode()


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:37]}..."


def _text(rng: random.Random, longest: int, alphabet: str | None = None) -> str:
    letters = alphabet or string.ascii_letters + string.digits + " -_." + ODD_CHARACTERS
    return "".join(rng.choice(letters) for _ in range(rng.randint(0, longest)))


def _scalar(rng: random.Random) -> Any:
    return rng.choice([None, True, False, rng.randint(-1000, 1000), _text(rng, 12)])


def _instances(plan: FuzzPlan, body: Any) -> list[Any]:
    if plan.list_key is None:
        return [body]
    found = body.get(plan.list_key) if isinstance(body, dict) else None
    return found if isinstance(found, list) else []


def _pick_instance(rng: random.Random, plan: FuzzPlan, body: Any) -> tuple[str, dict[str, Any]]:
    """An instance of the body to break, and where it is."""
    instances = [i for i in _instances(plan, body) if isinstance(i, dict)]
    if not instances:  # a schema whose valid bodies may hold none: break the plan's own
        instances = [copy.deepcopy(plan.instance)]
        if plan.list_key is not None and isinstance(body, dict):
            body[plan.list_key] = instances
    index = rng.randrange(len(instances))
    where = f"{plan.list_key}[{index}]" if plan.list_key else "body"
    return where, instances[index]


def _branch_of(plan: FuzzPlan, instance: dict[str, Any]) -> dict[str, Any]:
    """The branch of the instance schema an instance was generated from."""
    return next((b for b in branches(plan.items) if conforms(instance, b)), plan.items)


def _set_field(
    rng: random.Random, plan: FuzzPlan, body: Any, wanted: Callable[[_Field], bool],
    make: Callable[[_Field], Any],
) -> str:  # fmt: skip
    """Set a `wanted` field of one instance (of the schema branch that instance matches)
    to `make(field)`; the description. Without such a field, an unknown one is set."""
    where, instance = _pick_instance(rng, plan, body)
    fields = [f for f in _fields(_branch_of(plan, instance)) if wanted(f)]
    fields = fields or [f for f in _fields(plan.items) if wanted(f)]
    fields = fields or [_Field(UNKNOWN_FIELD, {}, True)]
    field = rng.choice(fields)
    instance[field.name] = value = make(field)
    shown = f"<{len(value)} chars>" if isinstance(value, str) and len(value) > 40 else _short(value)
    return f"{where}.{field.name} = {shown}"


def _wrong_type(rng: random.Random, plan: FuzzPlan, body: Any) -> Mutated:
    for_numbers = ["40", "forty", True, [], {"value": 1}, [40]]
    for_text = [0, 1.5, True, [], {"value": "x"}, ["Private"]]
    description = _set_field(rng, plan, body, lambda f: _kind(f) != "other", lambda f: rng.choice(
        for_numbers if _is_number_field(f) else for_text
    ))  # fmt: skip
    return description, dump_body(body), JSON


EXTREMES = [1e308, -1e308, 10**30, -(10**30), 2**63]


def _out_of_range(rng: random.Random, plan: FuzzPlan, body: Any) -> Mutated:
    """Past the schema's bounds where it has them, else far past any training range."""

    def outside(field: _Field) -> Any:
        low, high = _bounds(field.schema)
        sides = [*(["below"] if low is not None else []), *(["above"] if high is not None else [])]
        side = rng.choice([*sides, "extreme"])
        step = rng.choice([1, 0.5, 1e-6, 1000, 1e9])
        if side == "below" and low is not None:
            return low - step
        if side == "above" and high is not None:
            return high + step
        return rng.choice(EXTREMES)

    return _set_field(rng, plan, body, _is_number_field, outside), dump_body(body), JSON


NAN_STRINGS = ["NaN", "nan", "Infinity", "-Infinity", "inf", "-inf", "1e999"]


def _nan_inf_string(rng: random.Random, plan: FuzzPlan, body: Any) -> Mutated:
    described = _set_field(rng, plan, body, _is_number_field, lambda _: rng.choice(NAN_STRINGS))
    return described, dump_body(body), JSON


def _nan_inf_literal(rng: random.Random, plan: FuzzPlan, body: Any) -> Mutated:
    """NaN or Infinity as a bare token: what Python's json.dumps writes, and not JSON."""
    special = [float("nan"), float("inf"), float("-inf")]
    described = _set_field(rng, plan, body, _is_number_field, lambda _: rng.choice(special))
    return described, dump_body(body), JSON


def _unseen_category(rng: random.Random, plan: FuzzPlan, body: Any) -> Mutated:
    def unseen(field: _Field) -> Any:
        known = [str(v) for v in field.schema.get("enum", ["x"])]
        seen = rng.choice(known)
        near = [seen.lower(), seen.upper(), f"{seen} ", f" {seen}", "", "Unknown", "?", "other"]
        value = rng.choice([*near, _text(rng, 16)])
        return value if value not in known else f"{value}?"

    described = _set_field(rng, plan, body, lambda f: _kind(f) == "category", unseen)
    return described, dump_body(body), JSON


def _missing_required(rng: random.Random, plan: FuzzPlan, body: Any) -> Mutated:
    if plan.list_key is not None and rng.randrange(5) == 0:
        del body[plan.list_key]
        return f"no {plan.list_key}", dump_body(body), JSON
    where, instance = _pick_instance(rng, plan, body)
    required = [n for n in _branch_of(plan, instance).get("required", []) if n in instance]
    name = rng.choice(required or list(instance) or [UNKNOWN_FIELD])
    instance.pop(name, None)
    return f"{where} without {name}", dump_body(body), JSON


def _unknown_field(rng: random.Random, plan: FuzzPlan, body: Any) -> Mutated:
    known = {f.name for f in _fields(plan.items)} | set(plan.schema.get("properties", {}))
    name = _text(rng, 12, string.ascii_lowercase + "_") or "x"
    name = name if name not in known else f"{name}_unknown"
    value = _scalar(rng)
    if rng.random() < 0.5 and isinstance(body, dict) and plan.list_key is not None:
        body[name] = value
        return f"body.{name} = {_short(value)}", dump_body(body), JSON
    where, instance = _pick_instance(rng, plan, body)
    instance[name] = value
    return f"{where}.{name} = {_short(value)}", dump_body(body), JSON


def _renamed_column(rng: random.Random, plan: FuzzPlan, body: Any) -> Mutated:
    """A column sent under another name (a schema change upstream): the value kept, the
    name the model knows missing and an unknown one in its place."""
    where, instance = _pick_instance(rng, plan, body)
    name = rng.choice(sorted(instance) or [UNKNOWN_FIELD])
    renamed = rng.choice([name.upper(), name.replace("_", "-"), f"{name}_v2", f"{name} ", name[:-1]
                          or "x"])  # fmt: skip
    renamed = renamed if renamed != name else f"{name}_renamed"
    instance[renamed] = instance.pop(name, None)
    return f"{where}.{name} renamed {renamed}", dump_body(body), JSON


def _null(rng: random.Random, plan: FuzzPlan, body: Any) -> Mutated:
    choice = rng.choice(["field", "field", "instance", "list"])
    if choice == "list" and plan.list_key is not None:
        body[plan.list_key] = None
        return f"{plan.list_key} = None", dump_body(body), JSON
    if choice == "instance" and plan.list_key is not None and _instances(plan, body):
        body[plan.list_key][0] = None
        return f"{plan.list_key}[0] = None", dump_body(body), JSON
    described = _set_field(rng, plan, body, lambda f: not f.nullable, lambda _: None)
    return described, dump_body(body), JSON


HUGE_SIZES = [4_096, 65_536, 1_100_000]


def _huge_string(rng: random.Random, plan: FuzzPlan, body: Any) -> Mutated:
    size = rng.choice(HUGE_SIZES)
    value = (rng.choice(["x", "é", "A0", "\\"]) * size)[:size]
    return _set_field(rng, plan, body, lambda _: True, lambda _: value), dump_body(body), JSON


def _empty_instances(rng: random.Random, plan: FuzzPlan, body: Any) -> Mutated:
    if plan.list_key is None:
        return "{}", b"{}", JSON
    body[plan.list_key] = []
    return f"{plan.list_key} = []", dump_body(body), JSON


def _oversized_instances(rng: random.Random, plan: FuzzPlan, body: Any) -> Mutated:
    if plan.list_key is None:
        return _wrong_shape(rng, plan, body)
    limit = plan.max_items if plan.max_items is not None else DEFAULT_MAX_BATCH
    count = limit + rng.randint(1, 64)
    body[plan.list_key] = [copy.deepcopy(plan.instance)] * count
    return f"{count} {plan.list_key} (max {limit})", dump_body(body), JSON


def _not_json(rng: random.Random, plan: FuzzPlan, body: Any) -> Mutated:
    text = dump_body(body)
    kind = rng.choice(["truncated", "bytes", "text", "empty", "python", "bad utf-8"])
    if kind == "truncated":
        content = text[: rng.randint(0, max(0, len(text) - 1))]
    elif kind == "bytes":
        content = rng.randbytes(rng.randint(0, 200))
    elif kind == "text":
        content = _text(rng, 80).encode()
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


def _wrong_content_type(rng: random.Random, plan: FuzzPlan, body: Any) -> Mutated:
    """A valid body under another content type: a 2xx is recorded, not held against it."""
    content_type = rng.choice(WRONG_CONTENT_TYPES)
    if content_type.startswith("application/x-www") and rng.random() < 0.5:
        key = plan.list_key or "body"
        return f"form-encoded {key}", f"{key}={dump_body(body).decode()}".encode(), content_type
    return f"valid body as {content_type}", dump_body(body), content_type


def _wrong_shape(rng: random.Random, plan: FuzzPlan, body: Any) -> Mutated:
    instance = copy.deepcopy(plan.instance)
    key = plan.list_key or "instances"
    shapes: list[tuple[str, Any]] = [
        ("a list of bodies", [body]), ("a string", "instances"), ("a number", 42),
        ("null", None), ("true", True), (f"{key} as an object", {key: instance}),
        (f"{key} as a string", {key: json.dumps(instance)}),
        (f"{key} of scalars", {key: [1, "a", None, True]}),
        (f"{key} of lists", {key: [list(instance.values())]}),
    ]  # fmt: skip
    description, value = rng.choice(shapes)
    return f"body is {description}", dump_body(value), JSON


NESTING_DEPTHS = [1_000, 10_000, 100_000]


def _deep_nesting(rng: random.Random, plan: FuzzPlan, body: Any) -> Mutated:
    """Well-formed JSON nested deeper than a recursive parser goes."""
    depth = rng.choice(NESTING_DEPTHS)
    shape = rng.choice(["arrays", "objects"])
    if shape == "arrays":
        nested = b"[" * depth + b"]" * depth
    else:
        nested = b'{"a":' * depth + b"1" + b"}" * depth
    key = plan.list_key or "instances"
    return f"{key} = {depth} nested {shape}", b'{"' + key.encode() + b'": ' + nested + b"}", JSON


Mutator = Callable[[random.Random, FuzzPlan, Any], Mutated]
MUTATIONS: dict[str, Mutator] = {
    "wrong_type": _wrong_type,
    "out_of_range": _out_of_range,
    "nan_inf_string": _nan_inf_string,
    "nan_inf_literal": _nan_inf_literal,
    "unseen_category": _unseen_category,
    "missing_required": _missing_required,
    "unknown_field": _unknown_field,
    "renamed_column": _renamed_column,
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


def _quotas(count: int, names: list[str]) -> dict[str, int]:
    """`count` cases shared out evenly over the mutations `names`, in their order."""
    share, extra = divmod(count, len(names))
    return {name: share + (index < extra) for index, name in enumerate(names)}


def valid_bodies(plan: FuzzPlan, seed: int) -> list[Any]:
    """What the mutations start from: the system's own bodies, else bodies generated from
    the schema, else the plan's one instance in a body."""
    if plan.bodies:
        return list(plan.bodies)
    return generated_bodies(plan.schema, GENERATED_BODIES, seed) or [plan.body_of(plan.instance)]


def cases(plan: FuzzPlan, count: int, seed: int) -> Iterable[FuzzCase]:
    """`count` cases from `seed`, an even share per applicable mutation, lazily (the
    campaign sends each before the next is made)."""
    bodies = valid_bodies(plan, seed)
    for mutation, quota in _quotas(count, applicable_mutations(plan)).items():
        rng = random.Random(f"{seed}/{mutation}")  # a str seed is hashed the same everywhere
        for _ in range(quota):
            body = copy.deepcopy(rng.choice(bodies))
            description, content, content_type = MUTATIONS[mutation](rng, plan, body)
            yield FuzzCase(mutation, description, content, content_type,
                           body_conforms(content, plan.schema))  # fmt: skip


def drive_cases(plan: FuzzPlan, count: int, seed: int, visit: Callable[[FuzzCase], None]) -> None:
    """Hand each of the campaign's cases to `visit`, in order."""
    for case in cases(plan, count, seed):
        visit(case)


def generate_fuzz_cases(plan: FuzzPlan, count: int, seed: int = 0) -> list[FuzzCase]:
    """The requests a campaign of `count` with `seed` sends, without sending them."""
    return list(cases(plan, count, seed))
