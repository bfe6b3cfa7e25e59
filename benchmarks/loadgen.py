"""A closed-loop HTTP load generator for the serving benchmark (aiohttp, one process).

Each of `concurrency` workers sends its next request as soon as the previous one is
answered, for `seconds`, cycling through the bodies it is given. Latency is measured per
request on the client, so it includes everything a user would wait for.
"""

import asyncio
import itertools
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

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
                try:
                    async with session.post(url, data=next(cycle), headers=all_headers) as answer:
                        await answer.read()
                        status = answer.status
                except (aiohttp.ClientError, TimeoutError):
                    status = 0
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


def run_together(
    loads: Sequence[tuple[str, Sequence[bytes], int, dict[str, str]]],
    seconds: float,
    warmup_s: float = 1.0,
) -> list[LoadResult]:
    """Several loads at once (e.g. a quiet and a noisy tenant), each measured on its own."""

    async def together() -> list[LoadResult]:
        runs = (_run(u, b, h, c, seconds, warmup_s) for u, b, c, h in loads)
        return list(await asyncio.gather(*runs))

    return asyncio.run(together())
