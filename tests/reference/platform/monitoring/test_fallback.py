"""The CPU fallback's share of the answers, from the counters a real gateway exports."""

import numpy as np
import pytest
from fastapi.testclient import TestClient
from prometheus_client import generate_latest

from reference.microservice.backends import LocalBackend, Predictions
from reference.microservice.gateway import Serving, create_app
from reference.microservice.metrics import GatewayMetrics
from reference.microservice.routing import Router
from reference.microservice.settings import GatewaySettings, Switches
from reference.platform.model.dataset import AdultDataset
from reference.platform.monitoring.fallback import (
    Counters,
    Counts,
    FallbackRatio,
    GatewayScrape,
    read_counters,
)
from tests.servers import free_port

MODEL = "adult-income"


def answered(metrics: GatewayMetrics, version: str, primary: int, fallback: int) -> None:
    """What the gateway counts when a replica's answer comes back."""
    if primary:
        metrics.answered(MODEL, version, Predictions.of(np.zeros(primary, np.float32)))
    if fallback:
        metrics.answered(
            MODEL, version, Predictions.of(np.zeros(fallback, np.float32), fallback=True)
        )


def test_the_gateways_counters_are_read_per_model_version() -> None:
    metrics = GatewayMetrics()
    answered(metrics, "2", primary=30, fallback=10)
    answered(metrics, "3", primary=5, fallback=0)
    text = generate_latest(metrics.registry).decode()
    assert 'readiness_fallback_instances_total{model="adult-income",version="2"} 10.0' in text
    assert read_counters(text) == {
        (MODEL, "2"): Counts(inferred=40, fallback=10),
        (MODEL, "3"): Counts(inferred=5, fallback=0),
    }


def counts(**versions: tuple[float, float]) -> Counters:
    return {(MODEL, v): Counts(inferred, fallback) for v, (inferred, fallback) in versions.items()}


@pytest.mark.parametrize(
    ("readings", "shares"),
    [
        ([counts(v2=(100, 50))], []),
        ([counts(v2=(100, 0)), counts(v2=(140, 30))], [0.75]),
        ([counts(v2=(100, 0), v3=(10, 0)), counts(v2=(130, 20), v3=(20, 0))], [0.5]),
        ([counts(v2=(100, 10)), counts(v2=(100, 10))], []),
        ([counts(v2=(100, 10)), counts(v2=(20, 5))], [0.25]),
        ([counts(v2=(100, 0)), counts(v2=(110, 0), v3=(10, 10))], [0.5]),
        ([counts(v2=(100, 0)), counts(v2=(120, 0)), counts(v2=(140, 20))], [0.0, 1.0]),
    ],
    ids=[
        "the first reading is only the baseline",
        "a share is the fallback's increase over the answers' increase",
        "the versions of a model add up",
        "no answers since the previous reading: no share, not zero",
        "a counter that went down was reset and counts from zero",
        "a new version counts from zero",
        "each share covers the time since the reading before it",
    ],
)
def test_fallback_ratio(readings: list[Counters], shares: list[float]) -> None:
    ratio = FallbackRatio()
    found = [share.ratio for reading in readings for share in ratio.update(reading)]
    assert found == pytest.approx(shares)


def test_the_detail_names_each_versions_counts() -> None:
    ratio = FallbackRatio()
    ratio.update({(MODEL, "2"): Counts(100, 0), (MODEL, "3"): Counts(10, 0)})
    (share,) = ratio.update({(MODEL, "2"): Counts(130, 20), (MODEL, "3"): Counts(20, 0)})
    assert share.detail == (
        "20 of 40 instances since the previous poll (version 2: 20 of 30, version 3: 0 of 10)"
    )


def test_a_gateway_with_metrics_switched_off_gives_no_reading(adult: AdultDataset) -> None:
    off = GatewaySettings(switches=Switches(metrics=False))
    app = create_app(adult.schema, Serving(LocalBackend(adult.schema), Router()), off)
    assert GatewayScrape(TestClient(app))() is None


def test_a_gateway_out_of_reach_gives_no_reading() -> None:
    assert GatewayScrape.at(f"http://127.0.0.1:{free_port()}")() is None


def test_a_gateway_with_metrics_gives_its_counters(adult: AdultDataset) -> None:
    app = create_app(adult.schema, Serving(LocalBackend(adult.schema), Router()), GatewaySettings())
    text = GatewayScrape(TestClient(app))()
    assert text is not None
    assert read_counters(text) == {}  # nothing answered yet: no series at all
    assert "# TYPE readiness_fallback_instances_total counter" in text
