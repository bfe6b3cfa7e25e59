"""The shipped Grafana dashboard queries only metrics the gateway really exports."""

import json
import re
from pathlib import Path

from fastapi.testclient import TestClient

from reference.microservice.backends import LocalBackend
from reference.microservice.gateway import Serving, create_app
from reference.microservice.routing import Router
from reference.microservice.settings import GatewaySettings
from reference.platform.model.dataset import AdultDataset

DASHBOARD = (
    Path(__file__).parents[3] / "reference" / "microservice" / "grafana" / "readiness-gateway.json"
)
SUFFIXES = ("_bucket", "_count", "_sum", "_total", "_created")


def base_name(series: str) -> str:
    for suffix in SUFFIXES:
        if series.endswith(suffix):
            return series.removesuffix(suffix)
    return series


def test_every_metric_the_dashboard_queries_is_exported(adult: AdultDataset) -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    queries = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    queried = {base_name(m) for q in queries for m in re.findall(r"readiness_[a-z_]+", q)}
    app = create_app(adult.schema, Serving(LocalBackend(adult.schema), Router()), GatewaySettings())
    exposition = TestClient(app).get("/metrics").text
    exported = {
        base_name(line.split()[2]) for line in exposition.splitlines() if line.startswith("# TYPE")
    }
    assert queried, "the dashboard queries something"
    assert queried <= exported, f"not exported: {sorted(queried - exported)}"
