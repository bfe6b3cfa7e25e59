"""The event-driven deployment's fault hooks, as commands its descriptor names (shell hooks):
`python -m reference.event_driven.faults FOLDER HOOK [ARGUMENT]`.

- `kill-consumer STAGE`: ask a worker of STAGE to hold its next batch half-published and
  unacknowledged, then SIGKILL it there (a crash mid-batch, for certain);
- `restart-consumers`: start again every worker whose process is gone (the undo; what a
  process supervisor does in a real deployment);
- `restart-broker [SECONDS]`: SIGKILL the NATS server, wait, start it again on the same port
  and store;
- `start-broker`: start the server if it is not running (the undo);
- `poison [COUNT]`: publish COUNT poison events of each kind straight onto the events
  subject, as a faulty upstream producer would: undecodable bytes, features outside the
  schema, an applicant the feature store does not know.

Each prints a JSON line of what it did; exit 1 with the reason when it could not.
"""

import asyncio
import json
import os
import signal
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import nats

from readiness.errors import InjectionFailed
from reference.event_driven.hold import HoldSwitch
from reference.event_driven.stage import DEDUP_HEADER
from reference.event_driven.streams import EVENTS
from reference.event_driven.supervision import restart_dead_workers
from reference.event_driven.worker import load_config
from reference.platform.deploy.broker import start_broker
from reference.platform.deploy.fault_commands import hook_command
from reference.platform.deploy.processes import pid_of, reap, running

HOLD_TIMEOUT_S = 20.0
POISON_KINDS = ("undecodable", "outside-schema", "unknown-applicant")


def kill_consumer(place: Path, stage: str) -> dict[str, Any]:
    switch = HoldSwitch(place / "faults")
    switch.request(stage)
    deadline = time.monotonic() + HOLD_TIMEOUT_S
    try:
        while (held := switch.held()) is None:
            if time.monotonic() > deadline:
                raise InjectionFailed(f"no {stage} worker took a batch within {HOLD_TIMEOUT_S:g} s "
                                 "(is traffic flowing?)")  # fmt: skip
            time.sleep(0.05)
        os.kill(held.pid, signal.SIGKILL)
    finally:
        switch.clear()
    return {"killed_pid": held.pid, "stage": stage, "batch": held.batch,
            "published_unacked": held.published}  # fmt: skip


def _broker_port(place: Path) -> int:
    return int(load_config(place / "pipeline.yaml").broker_url.rsplit(":", 1)[1])


def restart_broker(place: Path, down_s: float) -> dict[str, Any]:
    pid = pid_of(place / "broker.pid")
    if pid is None or not running(pid):
        raise InjectionFailed("the broker is not running")
    os.killpg(pid, signal.SIGKILL)
    _reap(pid)
    time.sleep(down_s)
    started = start_broker_again(place)
    return {"killed_pid": pid, "down_s": down_s, **started}


def start_broker_again(place: Path) -> dict[str, Any]:
    pid = pid_of(place / "broker.pid")
    if pid is not None and running(pid):
        return {"started": False}
    broker, process = start_broker(place / "nats", place / "nats-restarted.log",
                                   port=_broker_port(place))  # fmt: skip
    (place / "broker.pid").write_text(str(process.pid))
    return {"started": True, "pid": broker.pid}


def _reap(pid: int) -> None:
    """Wait until the killed process is gone (collected, where it is our own child)."""
    deadline = time.monotonic() + 10
    while running(pid) and time.monotonic() < deadline:
        reap(pid)
        time.sleep(0.05)


async def _poison(place: Path, count: int) -> dict[str, Any]:
    client = await nats.connect(load_config(place / "pipeline.yaml").broker_url)
    js = client.jetstream()
    now = time.time()
    bodies: dict[str, list[bytes]] = {kind: [] for kind in POISON_KINDS}
    for _ in range(count):
        bodies["undecodable"].append(b"\xff\xfe not an event")
        for kind, extra in (
            ("outside-schema", {"features": {"age": "old", "nonsense": 1}}),
            ("unknown-applicant", {"applicant_id": f"nobody-{uuid.uuid4()}"}),
        ):
            event = {"event_id": f"poison-{uuid.uuid4()}", "event_time": now, **extra}
            bodies[kind].append(json.dumps(event).encode())
    try:
        for kind_bodies in bodies.values():
            for body in kind_bodies:
                await js.publish(EVENTS.subjects[0], body,
                                 headers={DEDUP_HEADER: f"poison-{uuid.uuid4()}"})  # fmt: skip
    finally:
        await client.close()
    return {"published": count * len(POISON_KINDS), "kinds": list(POISON_KINDS)}


def run_hook(place: Path, hook: str, argument: str | None) -> dict[str, Any]:
    if hook == "kill-consumer":
        return kill_consumer(place, argument or "infer")
    if hook == "restart-consumers":
        return {"restarted": restart_dead_workers(place)}
    if hook == "restart-broker":
        return restart_broker(place, float(argument or 5))
    if hook == "start-broker":
        return start_broker_again(place)
    if hook == "poison":
        return asyncio.run(_poison(place, int(argument or 5)))
    raise InjectionFailed(f"no hook '{hook}'")


def main(argv: list[str]) -> int:
    return hook_command(argv, run_hook, __doc__ or "")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
