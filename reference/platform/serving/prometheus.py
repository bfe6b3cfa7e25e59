"""Keep Prometheus metric values in-process, whatever Feast did on import.

Importing Feast (`feast.metrics`) sets `PROMETHEUS_MULTIPROC_DIR` for the whole process and
so switches prometheus_client into multiprocess mode, where every metric value lives in a
shared mmap file keyed by name and labels: two services built in one process would then
count each other's requests. Our services export their own metrics from their own
registries, so they undo that before creating metrics.
"""

import os

from prometheus_client import values

MULTIPROCESS_VARIABLES = ("PROMETHEUS_MULTIPROC_DIR", "PROMETHEUS_MULTIPROCESS_DIR")


def use_in_process_metrics() -> None:
    for name in MULTIPROCESS_VARIABLES:
        if "feast_metrics_" in os.environ.get(name, ""):
            del os.environ[name]
    values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call]
