import pytest

from reference.platform.serving.ratelimit import RateLimit, TenantLimiter, TokenBucket
from tests.examples import FakeClock


def test_a_burst_passes_then_the_next_request_waits_for_a_token() -> None:
    clock = FakeClock()
    bucket = TokenBucket(RateLimit(rate=2, burst=3), clock)
    assert all(bucket.take().allowed for _ in range(3))
    refused = bucket.take()
    assert not refused.allowed
    assert refused.retry_after_s == pytest.approx(0.5)
    assert refused.retry_after_header == "1"
    clock.now += 0.5
    assert bucket.take().allowed


def test_a_batch_costs_one_token_per_instance() -> None:
    bucket = TokenBucket(RateLimit(rate=1, burst=10), FakeClock())
    assert bucket.take(8).allowed
    assert not bucket.take(3).allowed


def test_a_request_larger_than_the_burst_can_never_pass() -> None:
    decision = TokenBucket(RateLimit(rate=1, burst=5), FakeClock()).take(6)
    assert not decision.allowed
    assert "exceeds the burst size" in decision.reason


def test_the_quota_refuses_until_its_window_ends() -> None:
    clock = FakeClock()
    bucket = TokenBucket(RateLimit(rate=100, burst=100, quota=5, quota_window_s=60), clock)
    assert bucket.take(5).allowed
    clock.now += 10
    refused = bucket.take()
    assert refused.reason == "quota exhausted"
    assert refused.retry_after_s == pytest.approx(50)
    clock.now += 50
    assert bucket.take().allowed


def test_one_tenants_burst_does_not_spend_anothers_tokens() -> None:
    limiter = TenantLimiter(
        {"noisy": RateLimit(rate=1, burst=2), "quiet": RateLimit(rate=1, burst=2)}, FakeClock()
    )
    assert limiter.take("noisy", 2).allowed
    assert not limiter.take("noisy").allowed
    assert limiter.take("quiet", 2).allowed


def test_a_tenant_without_a_limit_is_not_limited() -> None:
    assert TenantLimiter({}, FakeClock()).take("anyone", 1000).allowed


def test_checking_a_bucket_spends_nothing() -> None:
    clock = FakeClock()
    limiter = TenantLimiter({"acme": RateLimit(rate=1, burst=2)}, clock)
    assert limiter.check("acme", 2).allowed
    assert limiter.take("acme", 2).allowed
    assert not limiter.check("acme").allowed
    assert limiter.check("unlimited", 1000).allowed
