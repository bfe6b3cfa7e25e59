"""Reference architecture: microservice. An API gateway (auth, rate limits, validation,
features, routing, cache) in front of Ray Serve inference replicas that serve the
registry's champion in ONNX Runtime with dynamic batching and a CPU fallback.

`gateway` (the request path), `admission`, `payloads`, `cache`, `batching` and `routing`
(its stages' parts), `backends`, `ray_backend` and `replica` (where predictions come
from), `control`, `admin` and `degraded` (promote, roll back, route, the bad rollout),
`metrics`, `service` (the composition root), `deployment` and `faults` (up, down and the
harness's hooks). The kit they share with the other architectures is
`reference.platform.serving`.
"""
