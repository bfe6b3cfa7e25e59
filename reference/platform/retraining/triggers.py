"""What starts a retraining, with the evidence that fired it.

Four kinds: a person asked (manual), the calendar (schedule), the monitors saw quality
breach its threshold (performance: the `retrain` alert action), or the feature schema no
longer matches the champion's (schema). The schema check compares digests: the champion
carries the digest of the schema it was trained on (`schema_digest` on its registry
version), and the schema in force now is the one the next training will use.
"""

from datetime import UTC, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from readiness.home import Home
from reference.platform.model.registry import ModelRegistry
from reference.platform.model.schema import FeatureSchema, load_schema
from reference.platform.model.served import SERVED_MODEL


class TriggerKind(StrEnum):
    MANUAL = "manual"
    SCHEDULE = "schedule"
    PERFORMANCE = "performance"
    SCHEMA = "schema"


class RetrainingTrigger(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: TriggerKind
    evidence: str = Field(min_length=1, max_length=2000)
    """What fired it, in words a reviewer can check: the alert and its value, the schedule,
    the two schema digests, who asked."""
    at: datetime = Field(default_factory=lambda: datetime.now(UTC))


def schema_trigger(home: Home, schema: FeatureSchema | None = None) -> RetrainingTrigger | None:
    """A schema trigger naming both digests, or None when the champion's schema is current."""
    champion = ModelRegistry(home.mlflow_tracking_uri).champion(SERVED_MODEL)
    if champion is None:
        return None
    current = (schema or load_schema()).digest()
    if champion.schema_digest == current:
        return None
    return RetrainingTrigger(
        kind=TriggerKind.SCHEMA,
        evidence=(
            f"{SERVED_MODEL} champion version {champion.version} ({champion.semver}) was "
            f"trained on feature schema {champion.schema_digest[:12] or 'unknown'}; the schema "
            f"in force is {current[:12]}"
        ),
    )


DEFAULT_EVIDENCE = {
    TriggerKind.MANUAL: "requested by hand",
    TriggerKind.SCHEDULE: "scheduled run",
    TriggerKind.PERFORMANCE: "performance alert (no detail given)",
}


def fire(home: Home, kind: TriggerKind, evidence: str = "") -> RetrainingTrigger | None:
    """The trigger of `kind` with its evidence. A schema trigger finds its own evidence and
    is None when the champion's schema is current: there is nothing to retrain for. A
    scheduled run whose champion serves on a stale schema is recorded as what it is, a
    schema retraining."""
    if kind is TriggerKind.SCHEMA:
        return schema_trigger(home)
    if kind is TriggerKind.SCHEDULE and (stale := schema_trigger(home)) is not None:
        return stale
    return RetrainingTrigger(kind=kind, evidence=evidence or DEFAULT_EVIDENCE[kind])
