"""Point-in-time training sets: the feature values known at each decision, and no later.

Feast's `get_historical_features` does the as-of join, but it was seen to drop entity rows
that have no feature row inside the TTL instead of returning nulls, and to answer only one
of two identical requests. So Feast is asked once per distinct (entity, time) pair, each
pair carrying a row key, and the answer is rebuilt on the request: one output row per
request row, in request order, with nulls where Feast found nothing, whatever it returned.
"""

import warnings

import pandas as pd
from feast import FeatureStore

from readiness.errors import FeatureStoreFailed, InvalidFeatures
from reference.platform.features.repo import FEATURE_VIEW
from reference.platform.features.timeline import EVENT_TIMESTAMP
from reference.platform.model.schema import FeatureSchema

ROW_KEY = "readiness_request_row"


def training_frame(
    store: FeatureStore, schema: FeatureSchema, requests: pd.DataFrame
) -> pd.DataFrame:
    """`requests` (entity key, `event_timestamp`, anything else) joined with its features."""
    missing = [c for c in (schema.entity, EVENT_TIMESTAMP) if c not in requests.columns]
    if missing:
        raise InvalidFeatures(f"training requests lack column(s) {', '.join(missing)}")
    features = [c.name for c in schema.features]
    keys = [schema.entity, EVENT_TIMESTAMP]
    request = requests.reset_index(drop=True)
    # Feast answers each distinct (entity, time) once at most, so ask once per pair.
    pairs = request[keys].drop_duplicates().reset_index(drop=True)
    pairs[ROW_KEY] = range(len(pairs))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            job = store.get_historical_features(
                entity_df=pairs, features=[f"{FEATURE_VIEW}:{name}" for name in features]
            )
            answer = job.to_df()
    except Exception as error:
        raise FeatureStoreFailed(f"Feast point-in-time retrieval failed: {error}") from error
    if ROW_KEY not in answer.columns:
        raise FeatureStoreFailed("Feast's answer lost the request row key")
    answer = answer.drop_duplicates(subset=ROW_KEY).set_index(ROW_KEY)
    found = pairs.join(answer.reindex(range(len(pairs)))[features], on=ROW_KEY)
    frame = request.drop(columns=[c for c in features if c in request]).merge(
        found.drop(columns=ROW_KEY), on=keys, how="left", validate="many_to_one"
    )
    for column in schema.features:
        if column.kind == "numeric":
            frame[column.name] = pd.to_numeric(frame[column.name], errors="coerce").astype(
                "float64"
            )
        else:
            frame[column.name] = [None if pd.isna(v) else str(v) for v in frame[column.name]]
    return frame
