"""Bodies are validated from the feature schema; every bad body names its field."""

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from reference.platform.model.schema import load_schema
from reference.platform.serving.instances import predict_request_model
from tests.examples import VALID_ROW

SCHEMA = load_schema()
Request = predict_request_model(SCHEMA, max_batch=4)
ROW = VALID_ROW


def first_error(body: object) -> tuple[tuple[int | str, ...], str]:
    with pytest.raises(ValidationError) as caught:
        Request.model_validate(body)
    error = caught.value.errors()[0]
    return tuple(error["loc"]), error["msg"]


def test_a_full_row_and_an_applicant_reference_are_both_accepted() -> None:
    request = Request.model_validate(
        {"instances": [ROW, {"applicant_id": "A0000001", "hours_per_week": 50}]}
    )
    instances: list[BaseModel] = request.instances  # type: ignore[attr-defined]
    assert [type(i).__name__ for i in instances] == ["FeatureRow", "ApplicantReference"]


def row(field: str) -> tuple[int | str, ...]:
    return ("instances", 0, "row", field)


def applicant(field: str) -> tuple[int | str, ...]:
    return ("instances", 0, "applicant", field)


WITHOUT_EDUCATION = {k: v for k, v in ROW.items() if k != "education"}


@pytest.mark.parametrize(
    ("instance", "location", "message"),
    [
        ({**ROW, "age": "40"}, row("age"), "Input should be a valid number"),
        ({**ROW, "age": 400}, row("age"), "less than or equal to 100"),
        ({**ROW, "workclass": "Pirate"}, row("workclass"), "Input should be"),
        ({**ROW, "colour": "blue"}, row("colour"), "Extra inputs"),
        (WITHOUT_EDUCATION, row("education"), "Field required"),
        ({"applicant_id": "B1"}, applicant("applicant_id"), "should match pattern"),
        ({"applicant_id": "A0000001", "age": True}, applicant("age"), "valid number"),
        ({**ROW, "hours_per_week": float("nan")}, row("hours_per_week"), ""),
    ],
    ids=["string for a number", "out of range", "unseen category", "unknown field",
         "missing field", "malformed applicant id", "boolean for a number", "not a number"],
)  # fmt: skip
def test_a_bad_instance_names_its_field(
    instance: dict[str, Any], location: tuple[int | str, ...], message: str
) -> None:
    found_location, found_message = first_error({"instances": [instance]})
    assert found_location == location
    assert message in found_message


def test_batch_size_is_bounded() -> None:
    assert first_error({"instances": []})[0] == ("instances",)
    location, message = first_error({"instances": [ROW] * 5})
    assert location == ("instances",)
    assert "at most 4 items" in message


def test_an_unknown_top_level_field_is_refused() -> None:
    assert first_error({"instances": [ROW], "debug": True})[0] == ("debug",)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(body=json_values)
def test_any_json_body_is_either_valid_or_a_validation_error(body: object) -> None:
    problems: list[Any] | None = None
    try:
        Request.model_validate(body)
    except ValidationError as error:
        problems = list(error.errors())
    assert problems is None or len(problems) > 0, "a refusal always says what is wrong"
