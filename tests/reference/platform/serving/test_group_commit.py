"""Group commit: waiting writers share transactions and each learns the outcome."""

import asyncio
import time

from reference.platform.serving.group_commit import GroupCommit


class SlowStore:
    def __init__(self, fail: bool = False) -> None:
        self.transactions: list[list[int]] = []
        self.fail = fail

    def write(self, items: list[int]) -> None:
        time.sleep(0.01)
        if self.fail:
            raise OSError("disk full")
        self.transactions.append(items)


def test_concurrent_writers_share_transactions_and_all_are_stored() -> None:
    store = SlowStore()
    writer = GroupCommit(store.write)

    async def burst() -> None:
        await asyncio.gather(*(writer.submit([i]) for i in range(50)))

    asyncio.run(burst())
    assert sorted(i for t in store.transactions for i in t) == list(range(50))
    assert len(store.transactions) < 10


def test_a_failed_transaction_fails_its_writers() -> None:
    writer = GroupCommit(SlowStore(fail=True).write)

    async def burst() -> list[object]:
        calls = (writer.submit([i]) for i in range(5))
        return list(await asyncio.gather(*calls, return_exceptions=True))

    outcomes = asyncio.run(asyncio.wait_for(burst(), 5))
    assert all(isinstance(o, OSError) for o in outcomes)


def test_a_group_respects_its_size_limit() -> None:
    store = SlowStore()
    writer = GroupCommit(store.write, max_items=3)

    async def burst() -> None:
        await asyncio.gather(*(writer.submit([i, i]) for i in range(6)))

    asyncio.run(burst())
    assert max(len(t) for t in store.transactions) <= 3
    assert len(store.transactions) == 6
