"""Scales a stage's consumers on its lag, as KEDA scales a deployment on a queue's depth:
`python -m reference.event_driven.autoscaler FOLDER [STAGE]` (started by `readiness up`).

Once a second it asks the broker how many messages wait for the stage's durable consumer
and counts the stage's live workers. Below the minimum (a worker died) it starts one at
once; with more than `SCALE_UP_LAG` messages waiting for `UP_AFTER_S` seconds in a row it
adds one, up to the maximum; with nothing waiting for `DOWN_AFTER_S` seconds it stops the
newest one above the minimum (SIGTERM: it finishes its batch first). Workers share the
durable consumer, so a new one takes work at its first fetch.
"""

import asyncio
import logging
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import nats

from reference.event_driven.streams import CONSUMERS
from reference.event_driven.supervision import start_worker
from reference.event_driven.worker import load_config
from reference.platform.deploy.processes import pid_of, running, stop_session

log = logging.getLogger(__name__)
MIN_WORKERS, MAX_WORKERS = 2, 4
SCALE_UP_LAG = 200
UP_AFTER_S, DOWN_AFTER_S = 2.0, 20.0
COOLDOWN_S = 5.0
"""After adding a worker, time for it to start (a model load) before judging again."""


@dataclass
class Scaler:
    place: Path
    stage: str
    low: int = MIN_WORKERS
    high: int = MAX_WORKERS
    busy_since: float | None = None
    idle_since: float | None = None
    last_change: float = field(default=-1e9)

    def workers(self) -> dict[int, int]:
        """Index -> pid of the stage's live workers."""
        found = {}
        for path in self.place.glob(f"worker-{self.stage}-*.pid"):
            pid = pid_of(path)
            if pid is not None and running(pid):
                found[int(path.stem.rsplit("-", 1)[1])] = pid
        return found

    def decide(self, lag: int, live: int, now: float) -> int:
        """+1 to add a worker, -1 to stop one, 0 to leave them."""
        self.busy_since = (self.busy_since or now) if lag > SCALE_UP_LAG else None
        self.idle_since = (self.idle_since or now) if lag == 0 else None
        if live < self.low:
            return 1
        if now - self.last_change < COOLDOWN_S:
            return 0
        if self.busy_since is not None and now - self.busy_since >= UP_AFTER_S and live < self.high:
            return 1
        if (
            self.idle_since is not None
            and now - self.idle_since >= DOWN_AFTER_S
            and live > self.low
        ):
            return -1
        return 0

    def act(self, change: int, now: float) -> None:
        live = self.workers()
        if change > 0:
            index = next(i for i in range(len(live) + 1) if i not in live)
            start_worker(self.place, self.stage, index)
            log.info("%s: %d workers -> %d", self.stage, len(live), len(live) + 1)
        elif change < 0:
            newest = max(live)
            stop_session(live[newest])
            (self.place / f"worker-{self.stage}-{newest}.pid").unlink(missing_ok=True)
            log.info("%s: %d workers -> %d", self.stage, len(live), len(live) - 1)
        self.last_change = now
        self.busy_since = self.idle_since = None


async def watch(place: Path, stage: str) -> None:
    scaler = Scaler(place, stage)
    url = load_config(place / "pipeline.yaml").broker_url
    client = await nats.connect(url, max_reconnect_attempts=-1, reconnect_time_wait=0.5)
    js = client.jetstream()
    while True:
        try:
            info = await js.consumer_info(CONSUMERS[stage].name, stage)
            lag = int(info.num_pending or 0)
        except Exception as problem:  # the broker away: judge nothing
            log.warning("cannot read the %s consumer: %s", stage, problem)
            await asyncio.sleep(1.0)
            continue
        now = time.monotonic()
        change = scaler.decide(lag, len(scaler.workers()), now)
        if change:
            await asyncio.to_thread(scaler.act, change, now)
        await asyncio.sleep(1.0)


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if len(argv) not in (2, 3):
        sys.stderr.write("usage: python -m reference.event_driven.autoscaler FOLDER [STAGE]\n")
        return 2
    asyncio.run(watch(Path(argv[1]), argv[2] if len(argv) == 3 else "infer"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
