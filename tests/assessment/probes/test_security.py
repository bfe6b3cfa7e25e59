"""The request-schema probe accepts every way a system publishes its schema (an OpenAPI
body, an MLflow signature, Open Inference metadata, a JSON Schema file the descriptor
names) and fails, naming what was tried, where the harness had to infer one from rows. The
access probes read the live checks (a refusal passes, an answer fails, an open server that
declares no key is judged by what it answered), and the artifact and log probes compare
what is served and logged with what was recorded."""

from typing import Any

import pytest

from assessment.facts import Fact, FactStatus
from assessment.probes import Evidence
from assessment.probes.security import (
    admin_routes_need_admin_role,
    artifact_integrity_verified,
    bursts_get_429_with_retry_after,
    declares_credentials,
    declares_input_schema,
    malformed_input_gets_4xx,
    no_secret_or_raw_pii_in_logs,
    predict_refuses_missing_credentials,
    predict_refuses_wrong_key,
    refuses_another_tenants_model,
)
from readiness.bundle import Outcome
from tests.assessment.probes.facts import (
    Case,
    Missing,
    collected,
    evidence_of,
    judged_as_expected,
    stamp,
)

PASSED_OVER = ["open-inference: the model metadata declares no inputs",
               "openapi: no openapi endpoint declared"]  # fmt: skip


def evidence(schema: dict[str, object] | None) -> Evidence:
    fact = (collected("request_schema", schema) if schema is not None else
            Fact(name="request_schema", status=FactStatus.UNAVAILABLE, value=None,
                 provenance=stamp(), reason="no rows declared"))  # fmt: skip
    return evidence_of("declares_input_schema", ("request_schema",), fact)


def schema(
    source: str, required: list[str], passed_over: list[str] | None = None
) -> dict[str, object]:
    return {"source": source, "predict": "http://127.0.0.1:1/p", "required_fields": required,
            "columns": 7, "passed_over": passed_over or []}  # fmt: skip


CASES = {
    "an OpenAPI request body": (
        schema("openapi", ["age", "income"]), Outcome.PASS,
        "2 required fields declared by the OpenAPI request body"),
    "an MLflow model signature": (
        schema("mlflow-signature", ["age"]), Outcome.PASS,
        "1 required fields declared by the MLflow model signature"),
    "Open Inference metadata": (
        schema("open-inference", ["age"]), Outcome.PASS,
        "1 required fields declared by the Open Inference model metadata"),
    "a JSON Schema file the descriptor names": (
        schema("file", ["age"]), Outcome.PASS,
        "1 required fields declared by the JSON Schema file the descriptor names"),
    "a published schema that requires nothing": (
        schema("openapi", []), Outcome.FAIL, "the OpenAPI request body requires no field"),
    "only the rows, each source passed over saying why": (
        schema("data", ["age"], PASSED_OVER), Outcome.FAIL,
        "the system publishes no request schema (open-inference: the model metadata declares "
        "no inputs; openapi: no openapi endpoint declared); the harness inferred one from "
        "its rows"),
    "nothing collected": (None, Outcome.NOT_AVAILABLE, "no rows declared"),
}  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_the_schema_probe_judges_where_the_schema_came_from(case: str) -> None:
    value, outcome, detail = CASES[case]
    found = declares_input_schema(evidence(value))
    assert found.outcome is outcome
    assert detail in found.detail


def access(**checks: tuple[str, str, int | None]) -> dict[str, Any]:
    """The access-control collector's checks: name -> (outcome, detail, observed status)."""
    return {name: {"outcome": o, "detail": d, "observed": s} for name, (o, d, s) in checks.items()}


REGISTERED = {"model": "credit", "versions": {"3": {"tags": {"artifact_sha256": "ab12"}}}}
SCAN = {"sources": ["gateway.log"], "lines": 1200, "findings": [], "personal_columns": ["name"]}
ACCESS_CASES: dict[str, Case] = {
    "an API key variable is declared": (
        declares_credentials, {"descriptor": {"credentials": {"api_key_env": "CREDIT_KEY"}}},
        Outcome.PASS, "API key from $CREDIT_KEY"),
    "no credentials are declared": (
        declares_credentials, {"descriptor": {}}, Outcome.FAIL, "no credentials declared"),
    "a predict without a key is refused": (
        predict_refuses_missing_credentials,
        {"access_control": access(predict_refuses_missing_credentials=("pass", "401", 401))},
        Outcome.PASS, "401"),
    "an open server declaring no key answers anyone": (
        predict_refuses_missing_credentials,
        {"access_control": access(predict_refuses_missing_credentials=(
            "not_applicable", "no credentials declared", 200))},
        Outcome.FAIL, "no credentials declared: anyone can call it"),
    "nothing known of access control": (
        predict_refuses_missing_credentials,
        {"access_control": access(predict_refuses_missing_credentials=(
            "not_applicable", "no predict endpoint declared", None))},
        Outcome.NOT_APPLICABLE, "no predict endpoint declared"),
    "a wrong key is answered": (
        predict_refuses_wrong_key,
        {"access_control": access(predict_refuses_wrong_key=("fail", "a wrong key got 200", 200))},
        Outcome.FAIL, "a wrong key got 200"),
    "the check was never made": (
        predict_refuses_wrong_key, {"access_control": {}},
        Outcome.NOT_AVAILABLE, "not checked: predict_refuses_wrong_key"),
    "another tenant's model is refused": (
        refuses_another_tenants_model,
        {"access_control": access(predict_refuses_unentitled_model=("pass", "403", 403))},
        Outcome.PASS, "403"),
    "admin refuses both a missing and a user key": (
        admin_routes_need_admin_role,
        {"access_control": access(admin_refuses_missing_credentials=("pass", "401", 401),
                                  admin_refuses_user_key=("pass", "403", 403))},
        Outcome.PASS, "401; 403"),
    "admin lets a user key in": (
        admin_routes_need_admin_role,
        {"access_control": access(admin_refuses_missing_credentials=("pass", "401", 401),
                                  admin_refuses_user_key=("fail", "a user key got 200", 200))},
        Outcome.FAIL, "401; a user key got 200"),
    "a burst gets 429 with Retry-After": (
        bursts_get_429_with_retry_after,
        {"access_control": access(burst_gets_429_with_retry_after=("pass", "429, 1 s", 429))},
        Outcome.PASS, "429, 1 s"),
    "no access checks collected": (
        bursts_get_429_with_retry_after, {"access_control": Missing("no predict endpoint")},
        Outcome.NOT_AVAILABLE, "no predict endpoint"),
    "every malformed request got a 4xx": (
        malformed_input_gets_4xx,
        {"input_validation": {"requests": 60, "server_errors": 0, "transport_errors": 0,
                              "accepted_invalid": 0, "status_counts": {"422": 60}}},
        Outcome.PASS, "60 malformed requests: statuses {'422': 60}"),
    "malformed requests crashed it and were accepted": (
        malformed_input_gets_4xx,
        {"input_validation": {"requests": 60, "server_errors": 2, "transport_errors": 1,
                              "accepted_invalid": 3, "status_counts": {}}},
        Outcome.FAIL, "of 60: 2 server errors, 1 crashes, 3 invalid bodies accepted"),
    "the served artifact is the one registered": (
        artifact_integrity_verified,
        {"registry": REGISTERED, "model_info": [{"version": "3", "sha256": "ab12"}]},
        Outcome.PASS, "served sha256 = registry record for version 3"),
    "the served artifact differs": (
        artifact_integrity_verified,
        {"registry": REGISTERED, "model_info": [{"version": "3", "sha256": "ffff"}]},
        Outcome.FAIL, "version 3 serves ffff, the registry recorded ab12"),
    "the registry records no hash": (
        artifact_integrity_verified,
        {"registry": REGISTERED, "model_info": [{"version": "2", "sha256": "ab12"}]},
        Outcome.FAIL, "the registry records no sha256 for version 2"),
    "no model-info metric": (
        artifact_integrity_verified,
        {"registry": REGISTERED, "model_info": Missing("the target exports no *_model_info")},
        Outcome.NOT_AVAILABLE, "the target exports no *_model_info"),
    "the logs hold no key and no canary": (
        no_secret_or_raw_pii_in_logs, {"log_scan": SCAN},
        Outcome.PASS, "1,200 lines in 1 sources: no key, no canary planted in name"),
    "a key found in a log": (
        no_secret_or_raw_pii_in_logs,
        {"log_scan": SCAN | {"findings": ["gateway.log:12: the API key in clear"]}},
        Outcome.FAIL, "gateway.log:12: the API key in clear"),
    "no log to scan": (
        no_secret_or_raw_pii_in_logs, {"log_scan": SCAN | {"sources": []}},
        Outcome.NOT_AVAILABLE, "no log was declared or readable to scan"),
}  # fmt: skip


@pytest.mark.parametrize("case", ACCESS_CASES, ids=list(ACCESS_CASES))
def test_each_security_probe_judges_its_evidence(case: str) -> None:
    judged_as_expected(ACCESS_CASES[case])
