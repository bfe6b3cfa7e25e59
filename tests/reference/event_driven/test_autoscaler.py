"""The autoscaler's decisions on lag and live workers, second by second."""

from pathlib import Path

from reference.event_driven.autoscaler import DOWN_AFTER_S, SCALE_UP_LAG, Scaler


def decisions(scaler: Scaler, seconds: list[tuple[int, int]]) -> list[int]:
    """(lag, live workers) each second from t = 100; the decision each second."""
    made = []
    for second, (lag, live) in enumerate(seconds):
        now = 100.0 + second
        change = scaler.decide(lag, live, now)
        if change:
            scaler.last_change, scaler.busy_since, scaler.idle_since = now, None, None
        made.append(change)
    return made


def test_a_worker_below_the_minimum_is_replaced_at_once(tmp_path: Path) -> None:
    assert decisions(Scaler(tmp_path, "infer"), [(0, 1)]) == [1]


def test_a_worker_is_added_after_two_seconds_of_lag_and_another_after_the_cooldown(
    tmp_path: Path,
) -> None:
    busy = SCALE_UP_LAG + 1
    found = decisions(Scaler(tmp_path, "infer"), [(busy, 2)] * 3 + [(busy, 3)] * 8)
    assert found[:3] == [0, 0, 1]
    assert found[3:7] == [0] * 4  # the cooldown: the new worker loads its model
    assert found[7] == 1  # the lag lasted through it


def test_a_short_spike_of_lag_adds_nothing(tmp_path: Path) -> None:
    busy = SCALE_UP_LAG + 1
    assert decisions(Scaler(tmp_path, "infer"), [(busy, 2), (0, 2), (busy, 2), (0, 2)]) == [0] * 4


def test_the_maximum_is_never_passed(tmp_path: Path) -> None:
    assert set(decisions(Scaler(tmp_path, "infer"), [(10_000, 4)] * 30)) == {0}


def test_an_idle_stage_goes_back_to_its_minimum_and_no_lower(tmp_path: Path) -> None:
    idle = int(DOWN_AFTER_S) + 1
    assert decisions(Scaler(tmp_path, "infer"), [(0, 3)] * idle)[-1] == -1
    assert set(decisions(Scaler(tmp_path, "infer"), [(0, 2)] * 3 * idle)) == {0}
