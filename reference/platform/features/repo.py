"""The Feast feature repository: definitions, configuration, publishing.

The repository is configured in code rather than a `feature_store.yaml`, because its paths
live under `READINESS_HOME`. Offline store: parquet read by Feast's dask engine. Online store:
SQLite by default, Redis when `READINESS_FEAST_REDIS` holds a `host:port` connection string.
"""

import contextlib
import io
import logging
import os
import warnings
from datetime import timedelta
from pathlib import Path

import pandas as pd
from feast import Entity, FeatureStore, FeatureView, Field, FileSource, RepoConfig, ValueType
from feast.infra.online_stores.sqlite import SqliteOnlineStoreConfig
from feast.types import Float64, String

from readiness.errors import FeatureStoreFailed
from reference.platform.features.timeline import CREATED_TIMESTAMP, EVENT_TIMESTAMP
from reference.platform.model.schema import ColumnKind, FeatureSchema

PROJECT = "readiness"
FEATURE_VIEW = "applicant_features"
FEATURE_TTL = timedelta(days=365)
REDIS_VARIABLE = "READINESS_FEAST_REDIS"


def _online_store(repo: Path) -> object:
    redis = os.environ.get(REDIS_VARIABLE, "").strip()
    if redis:
        return {"type": "redis", "connection_string": redis}
    return SqliteOnlineStoreConfig(path=str(repo / "online.db"))


def open_store(repo: Path) -> FeatureStore:
    repo.mkdir(parents=True, exist_ok=True)
    logging.getLogger("feast").setLevel(logging.ERROR)
    config = RepoConfig(
        project=PROJECT,
        provider="local",
        registry=str(repo / "registry.db"),
        online_store=_online_store(repo),
        offline_store={"type": "dask"},
        entity_key_serialization_version=3,
        repo_path=repo,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return FeatureStore(repo_path=str(repo), config=config)


def definitions(schema: FeatureSchema, source: Path) -> tuple[Entity, FeatureView]:
    """The applicant entity and one feature view holding every feature of the schema."""
    applicant = Entity(name="applicant", join_keys=[schema.entity], value_type=ValueType.STRING)
    view = FeatureView(
        name=FEATURE_VIEW,
        entities=[applicant],
        ttl=FEATURE_TTL,
        schema=[
            Field(name=c.name, dtype=Float64 if c.kind is ColumnKind.NUMERIC else String)
            for c in schema.features
        ],
        source=FileSource(
            name="applicant_source",
            path=str(source),
            timestamp_field=EVENT_TIMESTAMP,
            created_timestamp_column=CREATED_TIMESTAMP,
        ),
        online=True,
        tags={"schema": schema.name, "schema_digest": schema.digest()[:16]},
    )
    return applicant, view


def publish(
    store: FeatureStore, schema: FeatureSchema, feature_rows: pd.DataFrame, *, materialize: bool
) -> FeatureView:
    """Write the offline parquet, apply the definitions and fill the online store."""
    repo = Path(store.repo_path)
    source = repo / "applicant_features.parquet"
    feature_rows.to_parquet(source, index=False)
    entity, view = definitions(schema, source)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            store.apply([entity, view])
            if materialize:
                times = feature_rows[EVENT_TIMESTAMP]
                with contextlib.redirect_stdout(io.StringIO()):  # Feast prints its progress
                    store.materialize(
                        start_date=pd.Timestamp(times.min()).to_pydatetime() - timedelta(seconds=1),
                        end_date=pd.Timestamp(times.max()).to_pydatetime() + timedelta(seconds=1),
                        feature_views=[FEATURE_VIEW],
                    )
    except Exception as error:
        raise FeatureStoreFailed(f"Feast could not publish '{FEATURE_VIEW}': {error}") from error
    return view


def online_features(
    store: FeatureStore, schema: FeatureSchema, applicant_ids: list[str]
) -> pd.DataFrame:
    refs = [f"{FEATURE_VIEW}:{c.name}" for c in schema.features]
    try:
        response = store.get_online_features(
            features=refs, entity_rows=[{schema.entity: a} for a in applicant_ids]
        )
    except Exception as error:
        raise FeatureStoreFailed(f"Feast online lookup failed: {error}") from error
    return pd.DataFrame(response.to_dict())
