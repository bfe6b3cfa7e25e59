import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from readiness.errors import InvalidInput
from reference.edge.outbox import Outbox

CRASHING_DEVICE = """
import sys, time
from pathlib import Path
from reference.edge.outbox import Outbox

outbox = Outbox(Path(sys.argv[1]), capacity=100)
outbox.append("prediction", ["a", "b", "c"])
print("appended", flush=True)
time.sleep(60)
"""
"""Appends, says so, and waits to be SIGKILLed without closing the outbox."""


@pytest.fixture
def outbox(tmp_path: Path) -> Iterator[Outbox]:
    opened = Outbox(tmp_path / "outbox.db", capacity=5)
    yield opened
    opened.close()


def kinds(outbox: Outbox) -> list[tuple[str, str]]:
    return [(record.kind, record.payload) for record in outbox.pending(100)]


def test_records_come_back_oldest_first_and_acknowledged_ones_are_gone(outbox: Outbox) -> None:
    first = outbox.append("prediction", ["p1", "p2"])
    second = outbox.append("sketch", ["s1"])
    assert [record.seq for record in outbox.pending(10)] == [*first, *second]
    assert kinds(outbox) == [("prediction", "p1"), ("prediction", "p2"), ("sketch", "s1")]
    assert [record.payload for record in outbox.pending(2)] == ["p1", "p2"]

    assert outbox.acknowledge([first[0], second[0], first[0]]) == 2
    assert kinds(outbox) == [("prediction", "p2")]
    assert outbox.acknowledge([second[0]]) == 0
    assert outbox.depth() == 1


def test_seqs_keep_increasing_after_the_newest_are_acknowledged_and_the_file_reopened(
    tmp_path: Path,
) -> None:
    path = tmp_path / "outbox.db"
    first = Outbox(path, capacity=10)
    seqs = first.append("prediction", ["a", "b"])
    first.acknowledge(seqs)
    first.close()

    again = Outbox(path, capacity=10)
    assert again.append("prediction", ["c"])[0] > max(seqs)
    again.close()


def test_records_appended_before_the_process_was_killed_are_there_on_reopen(
    tmp_path: Path,
) -> None:
    path = tmp_path / "outbox.db"
    device = subprocess.Popen(
        [sys.executable, "-c", CRASHING_DEVICE, str(path)], stdout=subprocess.PIPE
    )
    try:
        assert device.stdout is not None
        assert device.stdout.readline() == b"appended\n"
    finally:
        device.send_signal(signal.SIGKILL)
        device.wait(timeout=10)
        if device.stdout is not None:
            device.stdout.close()
    assert device.returncode == -signal.SIGKILL

    reopened = Outbox(path, capacity=100)
    assert [record.payload for record in reopened.pending(10)] == ["a", "b", "c"]
    assert reopened.append("prediction", ["d"]) == [4]
    assert reopened.appended_total() == 4
    reopened.close()


def test_over_capacity_the_oldest_predictions_go_before_any_sketch(outbox: Outbox) -> None:
    outbox.append("sketch", ["s1"])
    outbox.append("prediction", ["p1", "p2", "p3"])
    outbox.append("sketch", ["s2"])
    outbox.append("prediction", ["p4", "p5"])

    assert kinds(outbox) == [("sketch", "s1"), ("prediction", "p3"), ("sketch", "s2"),
                             ("prediction", "p4"), ("prediction", "p5")]  # fmt: skip
    assert outbox.dropped() == {"prediction": 2}


def test_sketches_are_dropped_oldest_first_only_when_nothing_else_is_left(
    outbox: Outbox,
) -> None:
    outbox.append("prediction", ["p1"])
    outbox.append("sketch", [f"s{n}" for n in range(1, 7)])

    assert kinds(outbox) == [("sketch", f"s{n}") for n in range(2, 7)]
    assert outbox.dropped() == {"prediction": 1, "sketch": 1}


def test_the_kinds_kept_longest_go_last_named_first(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.db", capacity=2, keep_longest=("sketch", "health"))
    outbox.append("sketch", ["s1"])
    outbox.append("health", ["h1"])
    outbox.append("prediction", ["p1"])
    outbox.append("sketch", ["s2"])

    assert kinds(outbox) == [("sketch", "s1"), ("sketch", "s2")]
    assert outbox.dropped() == {"prediction": 1, "health": 1}
    outbox.close()


def test_drop_counts_and_the_appended_total_persist_across_reopen(tmp_path: Path) -> None:
    path = tmp_path / "outbox.db"
    first = Outbox(path, capacity=2)
    first.append("prediction", ["p1", "p2", "p3"])
    first.close()

    again = Outbox(path, capacity=2)
    again.append("prediction", ["p4"])
    assert again.dropped() == {"prediction": 2}
    assert again.appended_total() == 4
    again.close()


def test_appended_equals_acknowledged_plus_dropped_plus_depth(outbox: Outbox) -> None:
    acknowledged = 0
    for round_ in range(6):
        outbox.append("prediction", [f"p{round_}-{n}" for n in range(3)])
        outbox.append("sketch", [f"s{round_}"])
        if round_ % 2:
            acknowledged += outbox.acknowledge(r.seq for r in outbox.pending(2))

    dropped = sum(outbox.dropped().values())
    assert dropped > 0
    assert outbox.appended_total() == 24 == acknowledged + dropped + outbox.depth()


def test_threads_appending_at_once_get_distinct_seqs(outbox: Outbox) -> None:
    seqs: list[int] = []

    def append() -> None:
        for _ in range(20):
            seqs.extend(outbox.append("prediction", ["x"]))

    threads = [threading.Thread(target=append) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(set(seqs)) == 80
    assert outbox.appended_total() == 80 == outbox.depth() + outbox.dropped()["prediction"]


def test_a_capacity_below_one_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"^outbox capacity must be at least 1, not 0$"):
        Outbox(tmp_path / "outbox.db", capacity=0)


def test_a_pending_limit_below_one_is_refused(outbox: Outbox) -> None:
    with pytest.raises(InvalidInput, match=r"^outbox pending limit must be at least 1, not 0$"):
        outbox.pending(0)
