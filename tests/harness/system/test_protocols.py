"""Each protocol builds the body its servers read and reads their answers: a table of cases
per protocol, on the same two rows."""

from typing import Any

import pytest

from harness.system.instances import Column, InstanceSchema, Kind
from harness.system.protocols import Adapter, dig
from readiness.descriptor import Protocol, ProtocolKind

SCHEMA = InstanceSchema(source="file", columns=(
    Column(name="age", kind=Kind.INTEGER), Column(name="income", kind=Kind.NUMBER),
    Column(name="job", kind=Kind.CATEGORY, categories=("a", "b")),
))  # fmt: skip
ROWS: list[dict[str, Any]] = [
    {"age": 40, "income": 1.5, "job": "a", "label": 1},
    {"age": 30, "income": None, "job": "b"},
]

BODIES: dict[str, tuple[Protocol, Any]] = {
    "this project's API sends rows as instances": (
        Protocol(), {"instances": [{"age": 40, "income": 1.5, "job": "a"},
                                   {"age": 30, "income": None, "job": "b"}]}),
    "KServe V1 sends rows as instances": (
        Protocol(kind=ProtocolKind.KSERVE_V1),
        {"instances": [{"age": 40, "income": 1.5, "job": "a"},
                       {"age": 30, "income": None, "job": "b"}]}),
    "MLflow splits columns from data by default": (
        Protocol(kind=ProtocolKind.MLFLOW),
        {"dataframe_split": {"columns": ["age", "income", "job"],
                             "data": [[40, 1.5, "a"], [30, None, "b"]]}}),
    "MLflow records are rows": (
        Protocol(kind=ProtocolKind.MLFLOW, mlflow_format="dataframe_records"),
        {"dataframe_records": [{"age": 40, "income": 1.5, "job": "a"},
                               {"age": 30, "income": None, "job": "b"}]}),
    "MLflow inputs are columns": (
        Protocol(kind=ProtocolKind.MLFLOW, mlflow_format="inputs"),
        {"inputs": {"age": [40, 30], "income": [1.5, None], "job": ["a", "b"]}}),
    "Open Inference sends a typed tensor per column for the pandas codec": (
        Protocol(kind=ProtocolKind.OPEN_INFERENCE),
        {"parameters": {"content_type": "pd"}, "inputs": [
            {"name": "age", "shape": [2], "datatype": "INT64", "data": [40, 30]},
            {"name": "income", "shape": [2], "datatype": "FP64", "data": [1.5, None]},
            {"name": "job", "shape": [2], "datatype": "BYTES", "data": ["a", "b"]}]}),
    "a template puts the rows where it says": (
        Protocol(kind=ProtocolKind.TEMPLATE, body={"model": "m", "rows": "{{instances}}"}),
        {"model": "m", "rows": [{"age": 40, "income": 1.5, "job": "a"},
                                {"age": 30, "income": None, "job": "b"}]}),
}  # fmt: skip


@pytest.mark.parametrize("case", BODIES, ids=list(BODIES))
def test_a_protocol_builds_the_body_its_servers_read(case: str) -> None:
    protocol, expected = BODIES[case]
    assert Adapter(protocol, SCHEMA).body(ROWS) == expected


ANSWERS: dict[str, tuple[Protocol, Any, dict[str, str], tuple[int | None, str, str]]] = {
    "this project names the version per prediction and the request id": (
        Protocol(), {"request_id": "r1", "predictions": [{"label": 1, "version": "7"}]}, {},
        (1, "7", "r1")),
    "a version header counts where the body names none": (
        Protocol(kind=ProtocolKind.KSERVE_V1), {"predictions": [0, 1]},
        {"X-Model-Version": "3"}, (2, "3", "")),
    "MLflow names no version and no request": (
        Protocol(kind=ProtocolKind.MLFLOW), {"predictions": [0, 1]}, {}, (2, "", "")),
    "Open Inference names the model version and the id": (
        Protocol(kind=ProtocolKind.OPEN_INFERENCE),
        {"model_version": "v2", "id": "abc", "outputs": [{"name": "p", "data": [0.1, 0.9]}]},
        {}, (2, "v2", "abc")),
    "a template reads its own paths, a header among them": (
        Protocol(kind=ProtocolKind.TEMPLATE, body={"x": "{{instance}}"}, predictions="out.scores",
                 version="meta.model", request_id="header:x-request-id"),
        {"out": {"scores": [0.4]}, "meta": {"model": "m-9"}}, {"x-request-id": "q"},
        (1, "m-9", "q")),
    "an answer without predictions where expected says so": (
        Protocol(), {"detail": "ok"}, {}, (None, "", "")),
}  # fmt: skip


@pytest.mark.parametrize("case", ANSWERS, ids=list(ANSWERS))
def test_a_protocol_reads_what_an_answer_names(case: str) -> None:
    protocol, body, headers, (count, version, request_id) = ANSWERS[case]
    found = Adapter(protocol, SCHEMA).read(body, headers)
    assert (found.predictions, found.version, found.request_id) == (count, version, request_id)


def test_feedback_names_the_request_or_is_not_sent() -> None:
    adapter = Adapter(Protocol(), SCHEMA)
    assert adapter.feedback("r1", 1) == {"labels": [{"request_id": "r1", "label": 1}]}
    assert adapter.feedback("", 1) is None
    custom = Adapter(Protocol(kind=ProtocolKind.TEMPLATE, body={}, feedback_body={
        "id": "{{request_id}}", "truth": "{{label}}"}), SCHEMA)  # fmt: skip
    assert custom.feedback("r2", "yes") == {"id": "r2", "truth": "yes"}


def test_a_non_finite_number_is_sent_as_null_never_as_a_bare_nan() -> None:
    body = Adapter(Protocol(), SCHEMA).encode([{"age": 1, "income": float("nan"), "job": "a"}])
    assert b"NaN" not in body
    assert b'"income": null' in body


def test_a_template_needs_its_body() -> None:
    with pytest.raises(ValueError, match="a template protocol needs its body"):
        Protocol(kind=ProtocolKind.TEMPLATE)


@pytest.mark.parametrize(("path", "value"), [("a.0.b", 2), ("a.1", None), ("", {"a": [{"b": 2}]})])
def test_dig_follows_a_dotted_path(path: str, value: Any) -> None:
    assert dig({"a": [{"b": 2}]}, path) == value
