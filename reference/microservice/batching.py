"""Gateway-side batching: concurrent requests for one model version share a remote call.

A call to a replica costs far more than running the model on a few more rows, so the
gateway keeps at most `max_in_flight` calls outstanding per version and, while they are
all busy, lets new requests queue; when a call returns, everything queued goes in the next
one (up to `max_rows`). An idle system therefore adds no waiting at all, and a busy one
sends large batches: the batch size adapts to the load without a timer. Each request gets
its own part of the call's answer, with which of its instances the CPU fallback answered.
"""

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from reference.microservice.backends import Predictions

Send = Callable[[npt.NDArray[np.float32], npt.NDArray[np.int64]], Awaitable[Predictions]]


@dataclass
class _Waiting:
    numeric: npt.NDArray[np.float32]
    categorical: npt.NDArray[np.int64]
    answer: "asyncio.Future[Predictions]"

    @property
    def rows(self) -> int:
        return len(self.numeric)


class CallBatcher:
    def __init__(self, send: Send, max_in_flight: int = 2, max_rows: int = 512) -> None:
        if max_in_flight < 1 or max_rows < 1:
            raise ValueError("max_in_flight and max_rows must be positive")
        self._send, self.max_in_flight, self.max_rows = send, max_in_flight, max_rows
        self._queue: deque[_Waiting] = deque()
        self._in_flight = 0
        self.calls = 0
        self.requests = 0
        """Requests sent in those calls: requests / calls is the batch fill."""

    async def submit(
        self, numeric: npt.NDArray[np.float32], categorical: npt.NDArray[np.int64]
    ) -> Predictions:
        answer: asyncio.Future[Predictions] = asyncio.get_running_loop().create_future()
        self._queue.append(_Waiting(numeric, categorical, answer))
        self._dispatch()
        return await answer

    def _dispatch(self) -> None:
        while self._queue and self._in_flight < self.max_in_flight:
            batch: list[_Waiting] = []
            rows = 0
            while self._queue and (not batch or rows + self._queue[0].rows <= self.max_rows):
                waiting = self._queue.popleft()
                batch.append(waiting)
                rows += len(waiting.numeric)
            self._in_flight += 1
            self.calls += 1
            self.requests += len(batch)
            asyncio.get_running_loop().create_task(self._run(batch))

    async def _run(self, batch: list[_Waiting]) -> None:
        try:
            numeric = np.concatenate([w.numeric for w in batch])
            categorical = np.concatenate([w.categorical for w in batch])
            answered = await self._send(numeric, categorical)
            parts = answered.split([w.rows for w in batch])
            for waiting, part in zip(batch, parts, strict=True):
                if not waiting.answer.done():
                    waiting.answer.set_result(part)
        except BaseException as error:  # every waiter learns of the failure, none hangs
            for waiting in batch:
                if not waiting.answer.done():
                    waiting.answer.set_exception(error)
            if not isinstance(error, Exception):
                raise
        finally:
            self._in_flight -= 1
            self._dispatch()
