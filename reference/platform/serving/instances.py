"""Pydantic models of one instance, derived from the feature schema: a full feature row, or
an applicant id (features from the online store) with optional overrides. Every serving
path validates with them, so a column's type, range and categories are declared once, in
the schema file, and a bad value is refused naming its field wherever it arrives."""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, create_model

from reference.platform.model.schema import ColumnKind, ColumnRole, ColumnSpec, FeatureSchema

APPLICANT_ID_PATTERN = r"^A[0-9]{7}$"
DEFAULT_MAX_BATCH = 256


def _field_type(column: ColumnSpec) -> Any:
    if column.kind is ColumnKind.NUMERIC:
        return Annotated[
            float, Field(strict=True, ge=column.min, le=column.max, allow_inf_nan=False)
        ]
    if column.kind is ColumnKind.CATEGORICAL:
        return Literal[column.categories]
    return Annotated[str, Field(strict=True, min_length=1, max_length=256)]


def _column_fields(schema: FeatureSchema, *, all_optional: bool) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for column in schema.columns:
        if column.role is ColumnRole.ENTITY:
            continue
        kind = _field_type(column)
        optional = all_optional or column.nullable or column.role is ColumnRole.PII
        optional = optional or not column.is_model_input  # sensitive: for monitoring only
        fields[column.name] = (kind | None, None) if optional else (kind, ...)
    return fields


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def instance_models(schema: FeatureSchema) -> tuple[type[BaseModel], type[BaseModel]]:
    """(FeatureRow, ApplicantReference) models for this schema."""
    row = create_model("FeatureRow", __base__=_Strict, **_column_fields(schema, all_optional=False))
    reference = create_model(  # type: ignore[call-overload]
        "ApplicantReference",
        __base__=_Strict,
        **{schema.entity: (Annotated[str, Field(strict=True, pattern=APPLICANT_ID_PATTERN)], ...)},
        **_column_fields(schema, all_optional=True),
    )
    return row, reference


def predict_request_model(
    schema: FeatureSchema, max_batch: int = DEFAULT_MAX_BATCH
) -> type[BaseModel]:
    """The body of `POST /v1/models/{model}/predict`: 1..max_batch instances."""
    row, reference = instance_models(schema)

    def kind(value: Any) -> str:
        has_key = isinstance(value, dict) and schema.entity in value
        return "applicant" if has_key or isinstance(value, reference) else "row"

    instance = Annotated[
        Annotated[row, Tag("row")] | Annotated[reference, Tag("applicant")],  # type: ignore[valid-type]
        Discriminator(kind),
    ]
    return create_model(
        "PredictRequest",
        __base__=_Strict,
        instances=(Annotated[list[instance], Field(min_length=1, max_length=max_batch)], ...),
    )


def openapi_body(model: type[BaseModel]) -> dict[str, Any]:
    """The request body a route reads by hand (to refuse with its own problems), published
    in the route's OpenAPI document as `openapi_extra`."""
    schema = model.model_json_schema()
    return {"requestBody": {"content": {"application/json": {"schema": schema}}, "required": True}}
