"""Gateway-side batching: concurrent calls share remote calls, answers go back in order."""

import asyncio

import numpy as np
import numpy.typing as npt
import pytest

from reference.microservice.batching import CallBatcher


class SlowRemote:
    """A remote model that doubles its input and records the size of each call."""

    def __init__(self, fail: bool = False) -> None:
        self.sizes: list[int] = []
        self.fail = fail

    async def __call__(
        self, numeric: npt.NDArray[np.float32], categorical: npt.NDArray[np.int64]
    ) -> npt.NDArray[np.float32]:
        self.sizes.append(len(numeric))
        await asyncio.sleep(0.01)
        if self.fail:
            raise RuntimeError("replica died")
        return (numeric[:, 0] * 2).astype(np.float32)


def rows(value: float, count: int = 1) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
    return np.full((count, 2), value, np.float32), np.zeros((count, 1), np.int64)


def test_an_idle_batcher_sends_at_once_and_a_busy_one_merges_waiting_calls() -> None:
    remote = SlowRemote()
    batcher = CallBatcher(remote, max_in_flight=1)

    async def burst() -> list[npt.NDArray[np.float32]]:
        return list(await asyncio.gather(*(batcher.submit(*rows(i, 2)) for i in range(10))))

    answers = asyncio.run(burst())
    assert remote.sizes == [2, 18]
    assert [a.tolist() for a in answers] == [[2.0 * i] * 2 for i in range(10)]


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
