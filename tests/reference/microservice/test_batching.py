"""Gateway-side batching: concurrent calls share remote calls, answers go back in order,
each with which of its instances the CPU fallback answered."""

import asyncio

import numpy as np
import numpy.typing as npt
import pytest

from reference.microservice.backends import Predictions
from reference.microservice.batching import CallBatcher


class SlowRemote:
    """A remote model that doubles its input and records the size of each call; its
    accelerator fails (the fallback answers) on instances whose second value is negative."""

    def __init__(self, fail: bool = False) -> None:
        self.sizes: list[int] = []
        self.fail = fail

    async def __call__(
        self, numeric: npt.NDArray[np.float32], categorical: npt.NDArray[np.int64]
    ) -> Predictions:
        self.sizes.append(len(numeric))
        await asyncio.sleep(0.01)
        if self.fail:
            raise RuntimeError("replica died")
        return Predictions((numeric[:, 0] * 2).astype(np.float32), numeric[:, 1] < 0)


def rows(value: float, count: int = 1) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
    return np.full((count, 2), value, np.float32), np.zeros((count, 1), np.int64)


def test_an_idle_batcher_sends_at_once_and_a_busy_one_merges_waiting_calls() -> None:
    remote = SlowRemote()
    batcher = CallBatcher(remote, max_in_flight=1)

    async def burst() -> list[Predictions]:
        return list(await asyncio.gather(*(batcher.submit(*rows(i, 2)) for i in range(10))))

    answers = asyncio.run(burst())
    assert remote.sizes == [2, 18]
    assert [a.probabilities.tolist() for a in answers] == [[2.0 * i] * 2 for i in range(10)]


def test_each_request_learns_which_of_its_instances_the_fallback_answered() -> None:
    batcher = CallBatcher(SlowRemote(), max_in_flight=1)
    mixed = np.array([[1, 1], [2, -1], [3, 1]], np.float32), np.zeros((3, 1), np.int64)

    async def burst() -> list[Predictions]:
        calls = [batcher.submit(*rows(0)), batcher.submit(*mixed), batcher.submit(*rows(-1, 2))]
        return list(await asyncio.gather(*calls))

    first, merged, fallback = asyncio.run(burst())
    assert first.fallback.tolist() == [False]
    assert merged.fallback.tolist() == [False, True, False]
    assert merged.probabilities.tolist() == [2.0, 4.0, 6.0]
    assert (fallback.fallback_instances, len(fallback)) == (2, 2)


def test_a_batch_never_exceeds_its_row_limit() -> None:
    remote = SlowRemote()
    batcher = CallBatcher(remote, max_in_flight=1, max_rows=5)

    async def burst() -> None:
        await asyncio.gather(*(batcher.submit(*rows(i, 2)) for i in range(6)))

    asyncio.run(burst())
    assert max(remote.sizes) <= 5
    assert sum(remote.sizes) == 12


def test_a_failed_call_fails_every_request_in_it_and_none_hangs() -> None:
    batcher = CallBatcher(SlowRemote(fail=True), max_in_flight=1)

    async def burst() -> list[object]:
        calls = (batcher.submit(*rows(i)) for i in range(4))
        return list(await asyncio.gather(*calls, return_exceptions=True))

    outcomes = asyncio.run(asyncio.wait_for(burst(), 5))
    assert all(isinstance(o, RuntimeError) for o in outcomes)


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        CallBatcher(SlowRemote(), max_in_flight=0)
