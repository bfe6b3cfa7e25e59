"""Reference architecture: edge. A distilled INT8 student served on (simulated) devices by
ONNX Runtime on one thread, kept in sync with the registry's champion through signed
releases, and store-and-forward telemetry that the cloud's monitors judge like any other
deployment's."""
