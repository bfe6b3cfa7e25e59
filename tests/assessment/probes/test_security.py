"""The request-schema probe accepts every way a system publishes its schema (an OpenAPI
body, an MLflow signature, Open Inference metadata, a JSON Schema file the descriptor
names) and fails, naming what was tried, where the harness had to infer one from rows."""

import pytest

from assessment.facts import Fact, FactStatus
from assessment.probes import Evidence
from assessment.probes.security import declares_input_schema
from readiness.bundle import Outcome
from tests.assessment.probes.facts import collected, evidence_of, stamp

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
