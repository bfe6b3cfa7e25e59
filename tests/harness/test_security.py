"""The security probes against the reference microservice, as a team's own system would be
probed: through its target descriptor only.

Production is served with the `challenger` alias (the session's model has no champion).
Each profile is started, probed once and stopped inside its fixture, so the two never run
at the same time and no other test sends it traffic: the campaign's refusals are real bad
traffic that production's monitors act on.
"""

import dataclasses
import hashlib
import json
import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from harness.security import (
    ADMIN_NO_CREDENTIALS,
    ADMIN_USER_KEY,
    BURST,
    CHECKS,
    MUTATIONS,
    NO_CREDENTIALS,
    UNENTITLED_MODEL,
    WRONG_KEY,
    FuzzPlan,
    Outcome,
    SecurityReport,
    body_conforms,
    conforms,
    fallback_plan,
    generate_fuzz_cases,
    plan_from_openapi,
    predict_schema,
    run_security_probes,
)
from harness.security.generation import applicable_mutations, minimal_instance, valid_bodies
from harness.security.plans import system_plan
from harness.system.canaries import PATTERN
from harness.system.loading import load_system
from harness.target import Target
from readiness.home import Home
from reference.platform.model.lifecycle import TrainingSummary
from tests.examples import VALID_ROW
from tests.reference.microservice.running import deployment

FUZZ_REQUESTS = 200
BURST_LIMIT = 50
PREDICT_URL = "http://127.0.0.1:8000/v1/models/adult-income/predict"


@dataclass(frozen=True)
class Probed:
    report: SecurityReport
    openapi: dict[str, Any]
    key: str | None
    plan: FuzzPlan
    """The campaign's plan: the system's own bodies, judged by its OpenAPI schema."""


def probe(home: Home, profile: str) -> Probed:
    with deployment(home, profile, "challenger") as descriptor:
        target = Target(descriptor)
        openapi = target.get("openapi").json()
        system = load_system(target)
        with httpx.Client() as client:
            plan = system_plan(system, client)
        report = run_security_probes(
            system, fuzz_requests=FUZZ_REQUESTS, seed=0, burst_limit=BURST_LIMIT
        )
        return Probed(report, openapi, target.key(), plan)


@pytest.fixture(scope="module")
def production(trained: tuple[Home, TrainingSummary]) -> Probed:
    return probe(trained[0], "production")


@pytest.fixture(scope="module")
def prototype(trained: tuple[Home, TrainingSummary]) -> Probed:
    return probe(trained[0], "prototype")


@pytest.fixture(scope="module")
def plan(production: Probed) -> FuzzPlan:
    return plan_from_openapi(production.openapi, PREDICT_URL, VALID_ROW)


# --- production -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "status"),
    [(NO_CREDENTIALS, 401), (WRONG_KEY, 401), (UNENTITLED_MODEL, 403),
     (ADMIN_NO_CREDENTIALS, 401), (ADMIN_USER_KEY, 403), (BURST, 429)],
)  # fmt: skip
def test_production_refuses_what_it_should(production: Probed, name: str, status: int) -> None:
    check = production.report.check(name)
    assert check.outcome is Outcome.PASS, check.detail
    assert check.observed == status
    assert check.expected == {status}


def test_production_checks_are_all_there_in_order(production: Probed) -> None:
    assert [c.name for c in production.report.checks] == list(CHECKS)


def test_a_production_burst_gets_429_with_retry_after_within_the_limit(
    production: Probed,
) -> None:
    burst = production.report.check(BURST)
    assert burst.retry_after is not None
    assert burst.retry_after.isdigit()
    assert 1 <= burst.requests_sent <= BURST_LIMIT
    assert "first 429 was answer" in burst.detail


def test_production_fuzz_refuses_every_bad_body_with_a_4xx_and_accepts_none(
    production: Probed,
) -> None:
    fuzz = production.report.fuzz
    assert fuzz.schema_source == "openapi"
    assert fuzz.requests == FUZZ_REQUESTS
    assert sum(fuzz.status_counts.values()) == FUZZ_REQUESTS
    assert fuzz.transport_errors == 0, fuzz.transport_error_examples
    assert fuzz.accepted_invalid == 0, fuzz.accepted_invalid_examples
    assert fuzz.health_after == 200
    assert set(fuzz.by_mutation) == set(MUTATIONS)
    for mutation, statuses in fuzz.by_mutation.items():
        if mutation == "wrong_content_type":  # valid bodies: 2xx or 4xx (unknown applicant)
            assert all(200 <= s < 500 for s in statuses), (mutation, statuses)
        else:
            assert all(400 <= s < 500 for s in statuses), (mutation, statuses)


def test_production_fuzz_campaign_passes_with_no_server_error(production: Probed) -> None:
    fuzz = production.report.fuzz
    assert fuzz.server_errors == 0, fuzz.server_error_examples
    assert fuzz.outcome is Outcome.PASS
    assert production.report.passed


def test_the_report_names_the_key_nowhere_and_reads_back(production: Probed) -> None:
    text = production.report.model_dump_json()
    assert production.key is not None
    assert production.key not in text
    assert production.key[:-1] not in text
    assert SecurityReport.model_validate_json(text) == production.report


# --- prototype: no auth, no rate limit, no validation ------------------------------------


def test_the_prototype_report_shows_it_answers_anyone(prototype: Probed) -> None:
    report = prototype.report
    unauthenticated = report.check(NO_CREDENTIALS)
    assert unauthenticated.outcome is Outcome.NOT_APPLICABLE
    assert unauthenticated.observed == 200
    assert "answered a predict without any key 200" in unauthenticated.detail
    assert "the target answered an unauthenticated predict request 200" in report.notes
    for name in (WRONG_KEY, UNENTITLED_MODEL):
        assert report.check(name).outcome is Outcome.NOT_APPLICABLE
        assert report.check(name).detail.startswith("the descriptor declares no credentials")
    for name in (ADMIN_NO_CREDENTIALS, ADMIN_USER_KEY):
        assert report.check(name).outcome is Outcome.NOT_APPLICABLE
        assert report.check(name).detail == "the descriptor declares no admin endpoint"


def test_the_prototype_report_shows_it_has_no_rate_limit(prototype: Probed) -> None:
    burst = prototype.report.check(BURST)
    assert burst.outcome is Outcome.FAIL
    assert burst.requests_sent == BURST_LIMIT
    assert burst.detail == f"no 429 after {BURST_LIMIT} requests (200: {BURST_LIMIT})"


def test_the_prototype_report_shows_it_validates_nothing(prototype: Probed) -> None:
    report = prototype.report
    fuzz = report.fuzz
    assert fuzz.outcome is Outcome.FAIL
    assert not report.passed
    assert fuzz.requests == FUZZ_REQUESTS
    assert fuzz.transport_errors == 0
    assert fuzz.health_after == 200
    assert fuzz.accepted_invalid > 0
    assert fuzz.server_errors > 0
    assert 1 <= len(fuzz.server_error_examples) <= min(5, fuzz.server_errors)
    assert len(fuzz.accepted_invalid_examples) == 5
    assert all(e.status is not None and e.status >= 500 for e in fuzz.server_error_examples)
    assert all(e.status == 200 for e in fuzz.accepted_invalid_examples)
    assert fuzz.by_mutation["oversized_instances"] == {200: FUZZ_REQUESTS // len(MUTATIONS)}
    assert fuzz.by_mutation["empty_instances"] == {200: FUZZ_REQUESTS // len(MUTATIONS)}
    notes = f"the target answered 2xx to {fuzz.accepted_invalid} bodies that break its own "
    assert notes + "request schema" in report.notes


# --- the generator, without sending -----------------------------------------------------


def test_the_same_seed_generates_the_same_requests(plan: FuzzPlan) -> None:
    first = generate_fuzz_cases(plan, 60, seed=7)
    assert first == generate_fuzz_cases(plan, 60, seed=7)
    assert first != generate_fuzz_cases(plan, 60, seed=8)


DIGEST = """
import dataclasses, hashlib, json, sys
from pathlib import Path
from harness.security import FuzzPlan, generate_fuzz_cases
fields = json.loads(Path(sys.argv[1]).read_text())
plan = FuzzPlan(**{**fields, "bodies": tuple(fields["bodies"])})
cases = generate_fuzz_cases(plan, int(sys.argv[2]), seed=int(sys.argv[3]))
print(hashlib.sha256(b"".join(c.content + c.description.encode() for c in cases)).hexdigest())
"""


def test_another_process_generates_the_same_requests_from_the_same_seed(
    production: Probed, tmp_path: Path
) -> None:
    """Hypothesis draws literals of the local modules a process imported; the campaign's
    mutations do not use it, so they do not depend on them (this process has imported far
    more than the other)."""
    document = tmp_path / "plan.json"
    document.write_text(json.dumps(dataclasses.asdict(production.plan)))
    here = generate_fuzz_cases(production.plan, 45, seed=5)
    digest = hashlib.sha256(b"".join(c.content + c.description.encode() for c in here))
    there = subprocess.run(
        [sys.executable, "-c", DIGEST, str(document), "45", "5"],
        cwd=Path(__file__).parents[2], capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    assert there.stdout.strip() == digest.hexdigest()


def test_the_campaign_sent_what_the_generator_generates(production: Probed) -> None:
    cases = generate_fuzz_cases(production.plan, FUZZ_REQUESTS, seed=0)
    sent = {m: sum(statuses.values()) for m, statuses in production.report.fuzz.by_mutation.items()}
    assert Counter(c.mutation for c in cases) == sent
    assert sum(c.valid for c in cases) == production.report.fuzz.valid_bodies


def test_every_mutation_is_used_and_all_but_the_content_type_break_the_schema(
    plan: FuzzPlan,
) -> None:
    cases = generate_fuzz_cases(plan, 150, seed=3)
    assert len(cases) == 150
    assert {c.mutation for c in cases} == set(MUTATIONS)
    broken = [c for c in cases if c.mutation != "wrong_content_type"]
    assert not any(c.valid for c in broken), [c.description for c in broken if c.valid]
    assert all(c.content_type == "application/json" for c in broken)
    relabelled = [c for c in cases if c.mutation == "wrong_content_type"]
    assert all(c.content_type != "application/json" for c in relabelled)


def test_the_plan_reads_the_predict_body_schema_from_openapi(plan: FuzzPlan) -> None:
    assert plan.source == "openapi"
    assert plan.list_key == "instances"
    assert plan.max_items == 256
    assert plan.instance == VALID_ROW
    assert "$ref" not in json.dumps(plan.schema)
    assert conforms({"instances": [VALID_ROW]}, plan.schema)
    assert not conforms({"instances": [{**VALID_ROW, "age": 15}]}, plan.schema)
    assert conforms({"instances": [{"applicant_id": "A0000002", "age": 60}]}, plan.schema)


def test_the_campaign_breaks_the_systems_own_rows_with_canaries_in_them(
    production: Probed,
) -> None:
    plan = production.plan
    assert plan.source == "openapi"
    assert len(plan.bodies) == 64
    rows = [body["instances"][0] for body in plan.bodies]
    assert len({json.dumps(row, sort_keys=True) for row in rows}) == 64
    assert all(PATTERN.search(str(row["contact_email"])) for row in rows if row["contact_email"])
    assert all(conforms(body, plan.schema) for body in plan.bodies)


def test_a_document_without_the_predict_operation_falls_back_to_the_instance() -> None:
    plan = plan_from_openapi({"paths": {"/healthz": {"get": {}}}}, PREDICT_URL, VALID_ROW)
    assert plan.source == (
        "fallback: the OpenAPI document has no POST operation for /v1/models/adult-income/predict"
    )
    assert plan.instance == VALID_ROW
    cases = generate_fuzz_cases(plan, 30, seed=0)
    # one instance names no categories, so no unseen category can be made of it
    assert {c.mutation for c in cases} == set(MUTATIONS) - {"unseen_category"}
    assert not any(c.valid for c in cases if c.mutation in ("wrong_type", "null", "not_json"))


def test_a_schema_without_numbers_or_categories_is_not_fuzzed_those_ways() -> None:
    """Nothing is sent under a mutation's name that breaks the body another way."""
    plan = plan_from_openapi({"paths": {}}, PREDICT_URL, {"name": "Ana", "city": "Lyon"})
    cases = generate_fuzz_cases(plan, 40, seed=0)
    assert len(cases) == 40
    used = {c.mutation for c in cases}
    assert used.isdisjoint({"out_of_range", "nan_inf_string", "nan_inf_literal",
                            "unseen_category"})  # fmt: skip
    assert used == set(applicable_mutations(plan))
    assert {"wrong_type", "null", "unknown_field", "deep_nesting"} <= used


# --- the schema helpers ------------------------------------------------------------------

ROW_SCHEMA = {
    "type": "object", "additionalProperties": False, "required": ["age"],
    "properties": {"age": {"type": "number", "minimum": 16, "maximum": 100},
                   "job": {"anyOf": [{"enum": ["a", "b"]}, {"type": "null"}]}},
}  # fmt: skip


@pytest.mark.parametrize(
    ("value", "fits"),
    [({"age": 40}, True), ({"age": 40, "job": None}, True), ({"age": 40, "job": "a"}, True),
     ({"age": 15.9}, False), ({"age": True}, False), ({"age": "40"}, False), ({}, False),
     ({"age": 40, "job": "c"}, False), ({"age": 40, "other": 1}, False), ([], False)],
    ids=["a row", "a null optional", "a known category", "below the minimum", "a boolean age",
         "a string age", "no age", "an unseen category", "an unknown field", "not an object"],
)  # fmt: skip
def test_conforms_judges_values_by_the_schema(value: Any, fits: bool) -> None:
    assert conforms(value, ROW_SCHEMA) is fits


@pytest.mark.parametrize(
    "content",
    [b'{"age": NaN}', b'{"age": 40', b"\xff", b"[" * 5000 + b"]" * 5000],
    ids=["a NaN token", "truncated", "not UTF-8", "nested past the recursion limit"],
)
def test_a_body_that_is_not_strict_json_does_not_conform(content: bytes) -> None:
    assert not body_conforms(content, {})


def test_predict_schema_picks_the_longest_path_and_follows_its_refs() -> None:
    openapi = {
        "paths": {"/predict": {"post": {}}, "/v1/models/{model}/predict": {"post": {
            "requestBody": {"$ref": "#/components/requestBodies/Predict"}}}},
        "components": {
            "requestBodies": {"Predict": {"content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Body"}}}}},
            "schemas": {"Body": {
                "type": "object", "properties": {"instances": {
                    "type": "array", "items": {"$ref": "#/$defs/Row"}}},
                "required": ["instances"], "$defs": {"Row": ROW_SCHEMA}}},
        },
    }  # fmt: skip
    schema = predict_schema(openapi, PREDICT_URL)
    assert schema["properties"]["instances"]["items"] == ROW_SCHEMA


def test_openapi_3_0_nullable_and_boolean_bounds_are_read_as_json_schema() -> None:
    row = {"type": "object", "required": ["age"], "properties": {
        "age": {"type": "integer", "minimum": 16, "exclusiveMinimum": True},
        "job": {"type": "string", "enum": ["a", "b"], "nullable": True}}}  # fmt: skip
    openapi = {"paths": {"/predict": {"post": {"requestBody": {"content": {
        "application/json": {"schema": row}}}}}}}  # fmt: skip
    schema = predict_schema(openapi, "http://127.0.0.1:1/predict")
    assert schema["properties"]["age"] == {"type": "integer", "exclusiveMinimum": 16}
    assert conforms({"age": 17, "job": None}, schema)
    assert not conforms({"age": 16}, schema)
    assert not conforms({"age": 17, "job": "c"}, schema)


def test_a_request_schema_that_is_not_json_schema_falls_back_and_says_where() -> None:
    """A misspelt type would otherwise judge every mutated body valid: no defect found."""
    row = {"type": "object", "properties": {"age": {"type": "int"}}}
    openapi = {"paths": {"/predict": {"post": {"requestBody": {"content": {
        "application/json": {"schema": row}}}}}}}  # fmt: skip
    with pytest.raises(LookupError, match=r"not JSON Schema: .*properties/age/type"):
        predict_schema(openapi, PREDICT_URL)
    plan = plan_from_openapi(openapi, PREDICT_URL, {"age": 41})
    assert plan.source.startswith("fallback: POST /v1/models/adult-income/predict declares")
    assert not conforms({"instances": [{"age": "41"}]}, plan.schema)


def test_a_schema_alone_gives_valid_bodies_and_a_minimal_instance() -> None:
    plan = plan_from_openapi({"paths": {"/v1/models/{m}/predict": {"post": {"requestBody": {
        "content": {"application/json": {"schema": {
            "type": "object", "required": ["instances"], "properties": {"instances": {
                "type": "array", "minItems": 1, "items": ROW_SCHEMA}}}}}}}}}},
        PREDICT_URL)  # fmt: skip
    assert plan.instance == {"age": 16}
    bodies = valid_bodies(plan, seed=0)
    assert len(bodies) > 1
    assert all(conforms(body, plan.schema) for body in bodies)
    assert minimal_instance({"type": "string", "pattern": "^[0-9]{3}$"}) == "000"
    assert minimal_instance({"type": "integer", "minimum": 3, "maximum": 2}) is None


@pytest.mark.parametrize(
    ("mutation", "said"),
    [("renamed_column", "renamed"), ("out_of_range", "age = "), ("unseen_category", "job = "),
     ("nan_inf_literal", "age = "), ("missing_required", "without|^no instances$"),
     ("oversized_instances", r"\(max 256\)")],
)  # fmt: skip
def test_each_mutation_breaks_the_body_the_way_it_says(mutation: str, said: str) -> None:
    plan = FuzzPlan(
        {"type": "object", "required": ["instances"], "properties": {"instances": {
            "type": "array", "minItems": 1, "maxItems": 256, "items": ROW_SCHEMA}}},
        "test", "instances", ROW_SCHEMA, 256, {"age": 40, "job": "a"},
        ({"instances": [{"age": 40, "job": "a"}]},),
    )  # fmt: skip
    cases = [c for c in generate_fuzz_cases(plan, 160, seed=1) if c.mutation == mutation]
    assert cases
    assert all(re.search(said, c.description) and not c.valid for c in cases), cases


def test_the_fallback_plan_reads_its_schema_off_the_instance() -> None:
    plan = fallback_plan("no document", {"age": 40, "job": None})
    assert plan.source == "fallback: no document"
    assert conforms({"instances": [{"age": 41}]}, plan.schema)
    assert not conforms({"instances": [{"age": "41"}]}, plan.schema)
    assert not conforms({"instances": [{"job": "x"}]}, plan.schema)
