"""What the harness takes from a fault hook: whether it worked, what it printed, and the
JSON object it reported (a figure a measure can read, such as a cold start's seconds)."""

import pytest

from harness.target import Target
from readiness.descriptor import Endpoints, FaultHook, Pattern, SLOs, TargetDescriptor


def target_with(command: str) -> Target:
    return Target(TargetDescriptor(
        name="hooks", architecture="edge", pattern=Pattern.EDGE, profile="production",
        model="adult-income", slos=SLOs(p99_latency_ms=50, error_rate=0.01, availability=0.99),
        endpoints=Endpoints(predict="http://127.0.0.1:9/predict", health="http://127.0.0.1:9/h"),
        fault_hooks=[FaultHook(name="hook", kind="shell", target=command)],
    ))  # fmt: skip


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("echo starting; echo '{\"serving_after_s\": 2.5}'", {"serving_after_s": 2.5}),
        ("echo '{\"a\": 1}'; echo 'done, no JSON last'", None),
        ("echo '[1, 2]'", None),
        ("true", None),
    ],
    ids=["the last line's object", "a last line that is not JSON", "JSON but no object",
         "no output"],
)  # fmt: skip
def test_a_shell_hook_reports_the_json_object_of_its_last_line(
    command: str, expected: dict[str, float] | None
) -> None:
    result = target_with(command).fire("hook")
    assert result.ok
    assert result.result == expected


def test_a_failing_hook_is_not_ok_and_says_its_exit_status() -> None:
    result = target_with("echo broken >&2; exit 3").fire("hook")
    assert not result.ok
    assert result.detail.startswith("exit 3: broken")
