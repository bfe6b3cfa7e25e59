"""The prediction API's answers. Its request bodies are derived from the feature schema in
`reference.platform.serving.instances`, which every serving path shares."""

from pydantic import BaseModel


class Prediction(BaseModel):
    probability: float
    label: int
    model: str
    version: str


class PredictResponse(BaseModel):
    request_id: str
    predictions: list[Prediction]
