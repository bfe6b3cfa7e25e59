"""HTTP load generators for the serving benchmark (aiohttp).

Closed loop (`run_load`): each of `concurrency` workers sends its next request as soon as
the previous one is answered, which finds a server's throughput. Open loop (`run_rate`):
requests leave at a fixed rate whatever the answers do, the way independent users arrive,
which is what a tenant's latency should be judged on. `in_processes` runs several loads in
separate processes, so that one tenant's client never delays another's measurements.
Latency is measured per request on the client, so it includes everything a user waits for.
"""

import asyncio
import itertools
import multiprocessing
import os
import time
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import numpy as np


@dataclass
class LoadResult:
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)

    @property
    def ok(self) -> int:
        return self.statuses.get(200, 0)

    @property
    def throughput(self) -> float:
        """Successful answers per second."""
        return self.ok / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        return float(np.percentile(self.latencies_ms, q)) if self.latencies_ms else float("nan")


async def _post(
    session: aiohttp.ClientSession, url: str, body: bytes, headers: dict[str, str]
) -> int:
    """The answer's status, or 0 when the request failed on the way."""
    try:
        async with session.post(url, data=body, headers=headers) as answer:
            await answer.read()
            return answer.status
    except (aiohttp.ClientError, TimeoutError):
        return 0


async def _run(
    url: str,
    bodies: Sequence[bytes],
    headers: dict[str, str],
    concurrency: int,
    seconds: float,
    warmup_s: float,
) -> LoadResult:
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=False)
    timeout = aiohttp.ClientTimeout(total=30)
    all_headers = {"content-type": "application/json", **headers}
    cycle = itertools.cycle(bodies)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        started = time.perf_counter()
        measure_from = started + warmup_s
        stop_at = measure_from + seconds
        result = LoadResult(seconds=seconds)

        async def worker() -> None:
            while True:
                sent = time.perf_counter()
                if sent >= stop_at:
                    return
                status = await _post(session, url, next(cycle), all_headers)
                done = time.perf_counter()
                if sent >= measure_from and done <= stop_at:
                    result.statuses[status] += 1
                    if status == 200:
                        result.latencies_ms.append((done - sent) * 1000)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return result


def run_load(
    url: str,
    bodies: Sequence[bytes],
    concurrency: int,
    seconds: float,
    headers: dict[str, str] | None = None,
    warmup_s: float = 1.0,
) -> LoadResult:
    return asyncio.run(_run(url, bodies, headers or {}, concurrency, seconds, warmup_s))


async def _run_rate(
    url: str, bodies: Sequence[bytes], headers: dict[str, str], rate: float, seconds: float,
    warmup_s: float, max_outstanding: int,
) -> LoadResult:  # fmt: skip
    connector = aiohttp.TCPConnector(limit=max_outstanding)
    timeout = aiohttp.ClientTimeout(total=30)
    all_headers = {"content-type": "application/json", **headers}
    result = LoadResult(seconds=seconds)
    outstanding: set[asyncio.Task[None]] = set()
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def one(body: bytes, measured: bool) -> None:
            sent = time.perf_counter()
            status = await _post(session, url, body, all_headers)
            if measured:
                result.statuses[status] += 1
                if status == 200:
                    result.latencies_ms.append((time.perf_counter() - sent) * 1000)

        started = time.perf_counter()
        total = int((warmup_s + seconds) * rate)
        for index, body in zip(range(total), itertools.cycle(bodies), strict=False):
            due = started + index / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            if len(outstanding) >= max_outstanding:
                result.statuses[-1] += 1  # the client itself could not keep up: counted
                continue
            task = asyncio.create_task(one(body, index / rate >= warmup_s))
            outstanding.add(task)
            task.add_done_callback(outstanding.discard)
        await asyncio.gather(*outstanding)
    return result


def run_rate(
    url: str,
    bodies: Sequence[bytes],
    rate: float,
    seconds: float,
    headers: dict[str, str] | None = None,
    warmup_s: float = 1.0,
    max_outstanding: int = 256,
) -> LoadResult:
    return asyncio.run(
        _run_rate(url, bodies, headers or {}, rate, seconds, warmup_s, max_outstanding)
    )


def in_processes(loads: Sequence[dict[str, Any]]) -> list[LoadResult]:
    """Run `run_rate(**load)` for every load at once, each in a process of its own."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(len(loads), mp_context=context) as pool:
        futures = [pool.submit(_rate_job, load) for load in loads]
        return [future.result() for future in futures]


def _rate_job(load: dict[str, Any]) -> LoadResult:
    """`nice` lowers the client's own priority: a tenant's client runs on its own machines,
    so on one shared host it should not take CPU from the service it measures."""
    niceness = load.pop("nice", 0)
    if niceness:
        os.nice(niceness)
    return run_rate(**load)
