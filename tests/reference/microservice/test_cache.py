import pytest

from reference.microservice.cache import PredictionCache
from tests.examples import FakeClock

ROW = {"age": 40.0, "workclass": "Private"}


def test_a_repeated_instance_is_a_hit_and_counted() -> None:
    cache = PredictionCache(ttl_s=60)
    assert cache.get("m", "1", ROW) is None
    cache.put("m", "1", ROW, 0.7)
    assert cache.get("m", "1", {"workclass": "Private", "age": 40.0}) == 0.7
    assert (cache.stats.hits, cache.stats.misses) == (1, 1)
    assert cache.stats.hit_rate == 0.5


def test_another_version_never_sees_the_answer() -> None:
    cache = PredictionCache(ttl_s=60)
    cache.put("m", "1", ROW, 0.7)
    assert cache.get("m", "2", ROW) is None


def test_entries_expire_after_the_ttl() -> None:
    clock = FakeClock()
    cache = PredictionCache(ttl_s=10, clock=clock)
    cache.put("m", "1", ROW, 0.7)
    clock.now += 10.0
    assert cache.get("m", "1", ROW) is None
    assert len(cache) == 0


def test_invalidation_drops_one_models_entries_only() -> None:
    cache = PredictionCache(ttl_s=60)
    cache.put("m", "1", ROW, 0.7)
    cache.put("other", "1", ROW, 0.2)
    assert cache.invalidate("m") == 1
    assert cache.get("m", "1", ROW) is None
    assert cache.get("other", "1", ROW) == 0.2


def test_the_least_recently_used_entry_goes_first_when_full() -> None:
    cache = PredictionCache(ttl_s=60, max_entries=2)
    cache.put("m", "1", {"a": 1}, 0.1)
    cache.put("m", "1", {"a": 2}, 0.2)
    cache.get("m", "1", {"a": 1})
    cache.put("m", "1", {"a": 3}, 0.3)
    assert cache.get("m", "1", {"a": 2}) is None
    assert cache.get("m", "1", {"a": 1}) == 0.1


def test_nonsense_sizes_are_refused() -> None:
    with pytest.raises(ValueError, match="must be positive"):
        PredictionCache(ttl_s=0)
