"""Group commit: concurrent writers share one transaction, and each still waits for it.

A request's prediction is logged before its answer is sent, so a crash never leaves an
answered request unlogged; committing once per request would cost more than the request.
Writes that arrive while a commit is running queue up and go together in the next one, so
an idle service commits at once and a busy one amortises each commit over many requests.
"""

import asyncio
from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

Item = TypeVar("Item")


class GroupCommit(Generic[Item]):
    def __init__(self, write: Callable[[list[Item]], None], max_items: int = 2000) -> None:
        """`write` stores a list of items in one transaction; it runs in a worker thread."""
        self._write, self.max_items = write, max_items
        self._pending: deque[tuple[list[Item], asyncio.Future[None]]] = deque()
        self._running = False
        self.commits = 0

    async def submit(self, items: list[Item]) -> None:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((items, done))
        if not self._running:
            self._running = True
            asyncio.get_running_loop().create_task(self._drain())
        await done

    async def _drain(self) -> None:
        try:
            while self._pending:
                group: list[tuple[list[Item], asyncio.Future[None]]] = []
                size = 0
                while self._pending and (not group or size + self._next_size() <= self.max_items):
                    entry = self._pending.popleft()
                    group.append(entry)
                    size += len(entry[0])
                rows = [item for items, _ in group for item in items]
                try:
                    await asyncio.to_thread(self._write, rows)
                    self.commits += 1
                except Exception as error:  # every waiter hears of it; none is told "saved"
                    for _, done in group:
                        if not done.done():
                            done.set_exception(error)
                    continue
                for _, done in group:
                    if not done.done():
                        done.set_result(None)
        finally:
            self._running = False

    def _next_size(self) -> int:
        return len(self._pending[0][0])
