import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis as redis_client

from reference.platform.features.repo import REDIS_VARIABLE, online_features, open_store, publish
from reference.platform.features.timeline import EVENT_TIMESTAMP, UPDATE_SHARE, build_timeline
from reference.platform.model.dataset import AdultDataset
from tests.servers import RunningServer, redis_server


def test_the_timeline_updates_some_applicants_only_after_their_decision(
    adult: AdultDataset,
) -> None:
    timeline = build_timeline(adult.train.head(2000), adult.schema)
    counts = timeline.feature_rows["applicant_id"].value_counts()
    updated = counts[counts == 2].index
    assert 0.5 * UPDATE_SHARE < len(updated) / 2000 < 2 * UPDATE_SHARE
    decisions = timeline.decisions.set_index("applicant_id")[EVENT_TIMESTAMP]
    latest = timeline.feature_rows.groupby("applicant_id")[EVENT_TIMESTAMP].max()
    assert (latest[updated] > decisions[updated]).all()
    assert "contact_email" not in timeline.feature_rows.columns, "no PII in the feature store"


def test_the_online_store_serves_the_latest_features_and_nulls_for_strangers(
    adult: AdultDataset, tmp_path: Path
) -> None:
    timeline = build_timeline(adult.train.head(300), adult.schema)
    store = open_store(tmp_path / "repo")
    publish(store, adult.schema, timeline.feature_rows, materialize=True)
    rows = timeline.feature_rows.sort_values(EVENT_TIMESTAMP).groupby("applicant_id").last()
    known = list(rows.index[:3])
    answer = online_features(store, adult.schema, [*known, "A9999999"]).set_index("applicant_id")
    for applicant in known:
        assert answer.loc[applicant, "hours_per_week"] == rows.loc[applicant, "hours_per_week"]
        assert answer.loc[applicant, "education"] == rows.loc[applicant, "education"]
    assert answer.loc["A9999999", "age"] is None or answer["age"].isna()["A9999999"]


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[RunningServer]:
    if shutil.which("redis-server") is None:
        pytest.skip("skipped for want of redis-server (Debian package redis-server)")
    with redis_server(tmp_path) as server:
        yield server


def test_redis_is_the_online_store_when_configured(
    adult: AdultDataset, tmp_path: Path, redis: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(REDIS_VARIABLE, redis.address)
    timeline = build_timeline(adult.train.head(50), adult.schema)
    store = open_store(tmp_path / "repo")
    publish(store, adult.schema, timeline.feature_rows, materialize=True)
    latest = timeline.feature_rows.sort_values(EVENT_TIMESTAMP).groupby("applicant_id").last()
    applicant = str(latest.index[0])
    answer = online_features(store, adult.schema, [applicant]).set_index("applicant_id")
    assert answer.loc[applicant, "age"] == latest.loc[applicant, "age"]
    assert not (tmp_path / "repo" / "online.db").exists()
    keys = redis_client.Redis(host=redis.host, port=redis.port).dbsize()
    assert isinstance(keys, int)
    assert keys > 0
