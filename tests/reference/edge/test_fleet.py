"""The fleet API's federated metrics: every device's samples under one family each, with a
`device` label, and which devices answered the scrape."""

import pytest
from prometheus_client.parser import text_string_to_metric_families

from reference.edge.fleet import federate, instances_in

DEVICE_TEXT = """# HELP readiness_edge_rollbacks_total Times a version was rolled back.
# TYPE readiness_edge_rollbacks_total counter
readiness_edge_rollbacks_total 2.0
# HELP readiness_model_info The model version a device serves.
# TYPE readiness_model_info gauge
readiness_model_info{model="adult-income",sha256="ab",version="3"} 1.0
"""


def test_each_family_appears_once_with_every_device_labelled() -> None:
    text = federate({"edge-1": DEVICE_TEXT, "edge-2": DEVICE_TEXT.replace("2.0", "5.0")})
    families = {f.name: f for f in text_string_to_metric_families(text)}
    rollbacks = families["readiness_edge_rollbacks"]
    assert rollbacks.type == "counter"
    assert {s.labels["device"]: s.value for s in rollbacks.samples} == {"edge-1": 2.0,
                                                                        "edge-2": 5.0}  # fmt: skip
    info = families["readiness_model_info"].samples
    assert {s.labels["device"] for s in info} == {"edge-1", "edge-2"}
    assert all(s.labels["version"] == "3" for s in info)


def test_a_device_that_did_not_answer_is_left_out_and_marked_down() -> None:
    text = federate({"edge-1": DEVICE_TEXT, "edge-2": None})
    families = {f.name: f for f in text_string_to_metric_families(text)}
    up = {s.labels["device"]: s.value for s in families["readiness_edge_device_up"].samples}
    assert up == {"edge-1": 1.0, "edge-2": 0.0}
    assert {s.labels["device"] for s in families["readiness_edge_rollbacks"].samples} == {"edge-1"}


@pytest.mark.parametrize(
    ("body", "cost"),
    [
        (b'{"instances": [{}, {}, {}]}', 3),
        (b'{"instances": []}', 1),
        (b"not json", 1),
        (b"[" * 100_000 + b"]" * 100_000, 1),
        (b'{"instances": {"age": 3}}', 1),
    ],
    ids=["one token per instance", "at least one", "not JSON", "nested too deep",
         "instances not a list"],
)  # fmt: skip
def test_a_request_costs_a_token_per_instance_and_a_malformed_one_costs_one(
    body: bytes, cost: int
) -> None:
    assert instances_in(body) == cost
