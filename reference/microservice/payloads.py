"""HTTP bodies of the prediction API, derived from the feature schema.

The instance model is built from `FeatureSchema` at start-up, so a column's type, range and
categories are declared once (in the schema file) and enforced at the gateway: a string
where a number belongs, a value out of range, an unseen category or an unknown field is a
422 naming the field, never a 5xx. An instance is either a full feature row or an
`applicant_id` whose features come from the online store, with optional request-time
overrides validated by the same rules.
"""

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, create_model

from reference.platform.instances import instance_models
from reference.platform.schema import FeatureSchema

DEFAULT_MAX_BATCH = 256


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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


class Prediction(BaseModel):
    probability: float
    label: int
    model: str
    version: str


class PredictResponse(BaseModel):
    request_id: str
    predictions: list[Prediction]
