"""What flows through the pipeline, stage to stage: one pydantic model per stream, so a
stage refuses what it cannot read (and dead-letters it with the reason) instead of guessing.

Every message carries the event's id, which is also its `Nats-Msg-Id` on every stream:
JetStream drops a re-published copy within the duplicate window, and the sink and the
action service write at most one row per id, so a redelivery never makes a second result.
"""

from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

EVENT_ID = r"^[A-Za-z0-9_.:-]{1,128}$"


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ApplicationEvent(_Message):
    """An application arriving: its features, or an applicant id to enrich from the
    feature store. `event_time` is when it happened (seconds since the epoch), the start of
    the end-to-end latency."""

    event_id: str = Field(pattern=EVENT_ID)
    event_time: float = Field(gt=0)
    applicant_id: str | None = Field(default=None, min_length=1, max_length=128)
    features: dict[str, Any] | None = None
    request_id: str | None = Field(default=None, pattern=EVENT_ID)
    """The ingest request it came in (feedback names the request and the position)."""
    position: int = Field(default=0, ge=0)

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if (self.applicant_id is None) == (self.features is None):
            raise ValueError("an event carries either applicant_id or features, not both")
        return self


class EnrichedEvent(_Message):
    event_id: str = Field(pattern=EVENT_ID)
    event_time: float
    features: dict[str, Any]
    source: Literal["event", "feature-store"]
    request_id: str | None = None
    position: int = 0


class InferenceResult(_Message):
    """The answer, with the row it answered: the sink logs both (under the PII policy), so
    the monitors see what the model saw."""

    event_id: str = Field(pattern=EVENT_ID)
    event_time: float
    features: dict[str, Any]
    model: str
    version: str
    probability: float = Field(ge=0, le=1)
    decision: int = Field(ge=0, le=1)
    inferred_at: float
    request_id: str | None = None
    position: int = 0


class ActionTaken(_Message):
    event_id: str = Field(pattern=EVENT_ID)
    event_time: float
    action: Literal["approve", "manual-review"]
    acted_at: float


class DeadLetter(_Message):
    """A message a stage gave up on, with why: nothing is dropped silently."""

    stage: str
    reason: str
    event_id: str | None
    deliveries: int
    stream_sequence: int
    payload: str
    """The message as received (decoded as UTF-8, bad bytes replaced)."""
    at: float
