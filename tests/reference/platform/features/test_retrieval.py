"""Our point-in-time training set equals a brute-force as-of join, whatever Feast does."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from feast import FeatureStore
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from readiness.errors import InvalidFeatures
from reference.platform.features.repo import FEATURE_TTL, open_store, publish
from reference.platform.features.retrieval import training_frame
from reference.platform.features.timeline import CREATED_TIMESTAMP, EVENT_TIMESTAMP
from reference.platform.model.schema import load_schema

BASE = datetime(2025, 1, 1, tzinfo=UTC)
APPLICANTS = ["A0000001", "A0000002", "A0000003"]
SCHEMA = load_schema()
CONSTANT = {
    "workclass": "Private",
    "fnlwgt": 100000.0,
    "education": "HS-grad",
    "education_num": 9.0,
    "marital_status": "Divorced",
    "occupation": "Sales",
    "relationship": "Unmarried",
    "race": "White",
    "sex": "Female",
    "capital_gain": 0.0,
    "capital_loss": 0.0,
    "native_country": "Peru",
}


def as_of_join(requests: pd.DataFrame, rows: pd.DataFrame, ttl: timedelta) -> pd.DataFrame:
    """The definition, row by row: the latest feature row at or before the request time and
    no older than the TTL (ties broken by created time), else nulls."""
    answers = []
    for _, request in requests.iterrows():
        moment = request[EVENT_TIMESTAMP]
        candidates = rows[
            (rows["applicant_id"] == request["applicant_id"])
            & (rows[EVENT_TIMESTAMP] <= moment)
            & (rows[EVENT_TIMESTAMP] >= moment - ttl)
        ].sort_values([EVENT_TIMESTAMP, CREATED_TIMESTAMP])
        if candidates.empty:
            answers.append({"age": None, "hours_per_week": None})
        else:
            latest = candidates.iloc[-1]
            answers.append({"age": latest["age"], "hours_per_week": latest["hours_per_week"]})
    return pd.DataFrame(answers)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> FeatureStore:
    store = open_store(tmp_path_factory.mktemp("feature-repo"))
    publish(store, SCHEMA, feature_rows([(0, 0, 30.0, 40.0, 0)]), materialize=False)
    return store


def feature_rows(rows: list[tuple[int, int, float, float, int]]) -> pd.DataFrame:
    frame = pd.DataFrame(
        [
            {
                "applicant_id": APPLICANTS[who],
                "age": age,
                "hours_per_week": hours,
                **CONSTANT,
                EVENT_TIMESTAMP: BASE + timedelta(days=day),
                CREATED_TIMESTAMP: BASE + timedelta(days=day, seconds=created),
            }
            for who, day, age, hours, created in rows
        ]
    )
    return frame[
        ["applicant_id", *[c.name for c in SCHEMA.features], EVENT_TIMESTAMP, CREATED_TIMESTAMP]
    ]


rows_strategy = st.lists(
    st.tuples(
        st.integers(0, 2),
        st.integers(0, 800),
        st.floats(17, 90).map(round),
        st.floats(1, 99).map(round),
        st.integers(0, 1000),
    ),
    min_size=1,
    max_size=12,
    unique_by=lambda row: (row[0], row[1], row[4]),
)
requests_strategy = st.lists(
    st.tuples(st.integers(0, 2), st.integers(0, 1200)), min_size=1, max_size=10
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=rows_strategy, requests=requests_strategy)
@example(rows=[(0, 0, 17, 1, 0)], requests=[(0, 0), (0, 0)])  # Feast answered one of the two
@example(rows=[(0, 0, 17, 1, 0)], requests=[(0, 400), (1, 5), (0, 1)])  # beyond TTL, unknown
def test_training_rows_equal_a_brute_force_as_of_join(
    store: FeatureStore,
    rows: list[tuple[int, int, float, float, int]],
    requests: list[tuple[int, int]],
) -> None:
    source = Path(store.repo_path) / "applicant_features.parquet"
    history = feature_rows(rows)
    history.to_parquet(source, index=False)
    asked = pd.DataFrame(
        {
            "applicant_id": [APPLICANTS[who] for who, _ in requests],
            EVENT_TIMESTAMP: [BASE + timedelta(days=day) for _, day in requests],
            "label": list(range(len(requests))),
        }
    )
    answer = training_frame(store, SCHEMA, asked)
    expected = as_of_join(asked, history, FEATURE_TTL)

    assert list(answer["label"]) == list(asked["label"]), "one row per request, in order"
    for column in ("age", "hours_per_week"):
        got = [None if pd.isna(v) else float(v) for v in answer[column]]
        want = [None if pd.isna(v) else float(v) for v in expected[column]]
        assert got == want, column


def test_a_request_without_its_timestamp_column_is_refused(store: FeatureStore) -> None:
    with pytest.raises(InvalidFeatures, match="lack column\\(s\\) event_timestamp"):
        training_frame(store, SCHEMA, pd.DataFrame({"applicant_id": ["A0000001"]}))


def test_requests_keep_their_own_columns(store: FeatureStore, tmp_path: Path) -> None:
    feature_rows([(0, 10, 33.0, 20.0, 0)]).to_parquet(
        Path(store.repo_path) / "applicant_features.parquet"
    )
    asked = pd.DataFrame(
        {"applicant_id": ["A0000001"], EVENT_TIMESTAMP: [BASE + timedelta(days=11)], "label": [1]}
    )
    answer = training_frame(store, SCHEMA, asked)
    assert answer.loc[0, "age"] == 33.0
    assert answer.loc[0, "label"] == 1
    assert answer.loc[0, "education"] == "HS-grad"
