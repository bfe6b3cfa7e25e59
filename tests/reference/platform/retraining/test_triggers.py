"""Triggers and their evidence; the schema check against a registered champion."""

from pathlib import Path

import mlflow
import pytest

from readiness.home import Home
from reference.platform.model.registry import FAIRNESS_TAG, ModelRegistry
from reference.platform.model.schema import FeatureSchema, load_schema
from reference.platform.model.served import SERVED_MODEL
from reference.platform.retraining.triggers import TriggerKind, fire, schema_trigger


@pytest.fixture
def home(isolated_home: Path) -> Home:
    return Home(isolated_home).ensure()


def crown(home: Home, schema_digest: str) -> None:
    """A champion trained on `schema_digest`, registered without training a model."""
    registry = ModelRegistry(home.mlflow_tracking_uri)
    mlflow.set_tracking_uri(home.mlflow_tracking_uri)
    experiment = registry.client.create_experiment(
        "t", artifact_location=home.mlflow_artifacts.as_uri()
    )
    with mlflow.start_run(experiment_id=experiment) as run:
        mlflow.log_text("weights", "model/weights.txt")
    version = registry.register(
        SERVED_MODEL, f"runs:/{run.info.run_id}/model", run.info.run_id, schema_digest,
        {FAIRNESS_TAG: "[]"},
    )  # fmt: skip
    registry.approve(SERVED_MODEL, version.version, "ana", "test champion")
    registry.promote(SERVED_MODEL, version.version)


def changed(schema: FeatureSchema) -> FeatureSchema:
    """The same schema with one more category of `workclass`: a new model interface."""
    columns = [
        c.model_copy(update={"categories": (*c.categories, "Gig-economy")})
        if c.name == "workclass" else c
        for c in schema.columns
    ]  # fmt: skip
    return schema.model_copy(update={"columns": columns})


def test_the_schema_trigger_fires_when_the_schema_differs_from_the_champions(home: Home) -> None:
    current = load_schema()
    crown(home, current.digest())
    assert schema_trigger(home) is None
    assert fire(home, TriggerKind.SCHEMA) is None
    edited = changed(current)
    assert edited.digest() != current.digest()
    assert schema_trigger(home, edited) is not None


def test_the_schema_trigger_names_both_digests(home: Home) -> None:
    crown(home, "0" * 64)
    trigger = fire(home, TriggerKind.SCHEMA)
    assert trigger is not None
    assert trigger.kind is TriggerKind.SCHEMA
    assert trigger.evidence == (
        f"{SERVED_MODEL} champion version 1 (1.0.0) was trained on feature schema "
        f"000000000000; the schema in force is {load_schema().digest()[:12]}"
    )


def test_without_a_champion_no_schema_is_stale(home: Home) -> None:
    assert schema_trigger(home) is None


def test_a_scheduled_run_on_a_stale_schema_is_a_schema_retraining(home: Home) -> None:
    crown(home, "0" * 64)
    scheduled = fire(home, TriggerKind.SCHEDULE, "nightly")
    assert scheduled is not None
    assert scheduled.kind is TriggerKind.SCHEMA
    assert "the schema in force is" in scheduled.evidence


def test_other_triggers_carry_the_evidence_given_or_a_default(home: Home) -> None:
    alert = fire(home, TriggerKind.PERFORMANCE, "alert quality-below-minimum: accuracy 0.71")
    assert alert is not None
    assert alert.evidence == "alert quality-below-minimum: accuracy 0.71"
    scheduled = fire(home, TriggerKind.SCHEDULE)
    assert scheduled is not None
    assert scheduled.evidence == "scheduled run"
