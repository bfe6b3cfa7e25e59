import feast  # noqa: F401  (imported for its side effect on prometheus_client)
from prometheus_client import CollectorRegistry, Counter, generate_latest

from reference.platform.serving.prometheus import use_in_process_metrics


def count(registry: CollectorRegistry) -> list[str]:
    return [
        line
        for line in generate_latest(registry).decode().splitlines()
        if line.startswith("c_total")
    ]


def test_two_registries_in_one_process_count_apart_even_after_importing_feast() -> None:
    use_in_process_metrics()
    first, second = CollectorRegistry(), CollectorRegistry()
    Counter("c", "doc", ["a"], registry=first).labels("x").inc()
    Counter("c", "doc", ["a"], registry=second).labels("x").inc()
    assert count(second) == ['c_total{a="x"} 1.0']
