"""The names the collectors and the probes share, so neither imports the other: the metric
conventions a collector computes a figure from and a probe judges by, and the values a
collector writes into a fact that a probe compares against."""

import re

KNOWN_REQUEST_COUNTERS = (
    "readiness_requests_total", "http_requests_total", "ray_serve_num_http_requests_total",
    "rest_server_requests_total", "bentoml_service_request_total",
    "ts_inference_requests_total", "nv_inference_request_success",
    "model_infer_request_success_total", "request_predict_seconds_count",
)  # fmt: skip
"""Request counters by sample name, ours first, then instrumentator, Ray Serve, MLServer's
REST and model counters, BentoML, TorchServe, Triton and KServe's histogram count."""
ACCELERATOR_BUSY = re.compile(r"(?:gpu|accelerator).*(?:busy|utili[sz]ation)")
"""An accelerator's utilisation gauge, by name (DCGM, our own, most exporters)."""
MODEL_INFO = re.compile(r"model_info$")
"""The served model's identity gauge: `{model, version, sha256}` labels."""
CPU_SECONDS = "process_cpu_seconds"
"""prometheus_client's process collector: the serving process's CPU time."""

OWN_ROWS, BUILT_FROM_SCHEMA = "the system's own rows", "one built from its schema"
"""What the low-load fact's predictions were made of (its `rows`)."""
