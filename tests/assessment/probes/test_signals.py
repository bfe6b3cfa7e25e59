"""The metric probes recognise the common exporters as they print themselves, and a name a
descriptor maps: a table of cases, each an exposition text parsed as the live collector
parses a scrape."""

import pytest

from assessment.collectors.live import parse_families
from assessment.probes import Evidence
from assessment.probes.observability import (
    exports_latency_histogram,
    exports_request_and_error_counters,
)
from readiness.bundle import Outcome
from tests.assessment.probes.facts import collected, evidence_of

INSTRUMENTATOR = """# TYPE http_requests_total counter
http_requests_total{handler="/predict",method="POST",status="2xx"} 12.0
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{handler="/predict",le="0.1",method="POST"} 12.0
http_request_duration_seconds_bucket{handler="/predict",le="+Inf",method="POST"} 12.0
http_request_duration_seconds_count{handler="/predict",method="POST"} 12.0
http_request_duration_seconds_sum{handler="/predict",method="POST"} 0.3
"""
BENTOML = """# TYPE bentoml_service_request_total counter
bentoml_service_request_total{endpoint="/classify",http_response_code="200",service_name="c"} 5
# TYPE bentoml_service_request_duration_seconds histogram
bentoml_service_request_duration_seconds_bucket{endpoint="/classify",le="+Inf"} 5
bentoml_service_request_duration_seconds_count{endpoint="/classify"} 5
bentoml_service_request_duration_seconds_sum{endpoint="/classify"} 0.1
"""
TRITON = """# TYPE nv_inference_request_success counter
nv_inference_request_success{model="credit",version="1"} 40
# TYPE nv_inference_request_failure counter
nv_inference_request_failure{model="credit",reason="REJECTED",version="1"} 2
# TYPE nv_inference_request_duration_us counter
nv_inference_request_duration_us{model="credit",version="1"} 9000
"""
KSERVE = """# TYPE request_predict_seconds histogram
request_predict_seconds_bucket{le="+Inf",model_name="credit"} 3.0
request_predict_seconds_count{model_name="credit"} 3.0
request_predict_seconds_sum{model_name="credit"} 0.01
"""
OWN = """# TYPE api_calls_total counter
api_calls_total{outcome="ok"} 3
# TYPE api_call_time histogram
api_call_time_bucket{le="+Inf"} 3
api_call_time_count 3
api_call_time_sum 0.2
"""


def evidence(text: str, mapped: dict[str, str] | None = None) -> Evidence:
    return evidence_of(
        "probe", ("service_metrics", "descriptor"),
        collected("service_metrics", parse_families(text)),
        collected("descriptor", {"conventions": {"metrics": mapped or {}}}),
    )  # fmt: skip


CASES = {
    "prometheus-fastapi-instrumentator's counter and histogram": (INSTRUMENTATOR, None, True, True),
    "BentoML's counter by http_response_code": (BENTOML, None, True, True),
    "Triton's success and failure counters": (TRITON, None, True, False),
    "KServe's predict histogram": (KSERVE, None, False, True),
    "names of one's own, unmapped": (OWN, None, False, False),
    "names of one's own, mapped in the descriptor": (
        OWN, {"requests": "api_calls_total", "latency": "api_call_time"}, True, True),
    "a mapped name the target does not export": (
        INSTRUMENTATOR, {"requests": "api_calls_total"}, False, True),
}  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_the_metric_probes_recognise_the_exporter(case: str) -> None:
    text, mapped, counters, histogram = CASES[case]
    found = exports_request_and_error_counters(evidence(text, mapped))
    assert (found.outcome is Outcome.PASS) is counters, found.detail
    found = exports_latency_histogram(evidence(text, mapped))
    assert (found.outcome is Outcome.PASS) is histogram, found.detail


def test_a_mapped_name_that_is_missing_says_so() -> None:
    found = exports_request_and_error_counters(
        evidence(INSTRUMENTATOR, {"requests": "api_calls_total"})
    )
    assert found.detail == "the descriptor maps requests to api_calls_total, which is not exported"
