"""Reference architecture: event-driven. An HTTP ingest turns each instance into an event
on NATS JetStream; durable pull consumers enrich, infer (the registry's champion in ONNX
Runtime) and act on it, each stage a process of its own scaled on its lag; results land in
the prediction log and on a results endpoint a client polls.

`ingest` and `service` (the front door), `streams` and `messages` (what flows where),
`stage` and `worker` (a consumer as a process), `enrich`, `infer`, `action`, `sink` (the
stages), `autoscaler`, `exposition` (the summed metrics), `prototype` (the single-process
profile), `deployment`, `supervision` and `faults` (up, down and the harness's hooks).
"""
