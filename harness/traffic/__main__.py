"""The traffic process: Locust as a library, one LoadTestShape from the stages table.

It runs apart from the harness because Locust monkey-patches the process for gevent; here
that touches nothing else. It sends the system's own rows (`rows.jsonl`) in the system's
own protocol (`harness.system.protocols`), with canaries planted in the personal-data
columns. Each request's start time, latency, status, answering model version and the
transform applied are appended to `requests.jsonl`, flushed twice a second and on exit
(SIGTERM included), so the harness measures from raw requests, not summaries.

Usage: python -m harness.traffic SPEC.json
"""

from gevent import monkey

monkey.patch_all()

import json  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, ClassVar  # noqa: E402

import gevent  # noqa: E402
import numpy as np  # noqa: E402
from locust import LoadTestShape, task  # noqa: E402
from locust.contrib.fasthttp import FastHttpUser  # noqa: E402
from locust.env import Environment  # noqa: E402

from harness.system.canaries import plant  # noqa: E402
from harness.system.protocols import Adapter  # noqa: E402
from harness.system.shaping import TrafficRow  # noqa: E402
from harness.traffic.spec import KEY_VARIABLE, TrafficControl, TrafficFiles, TrafficSpec  # noqa: E402
from harness.traffic.transforms import TRANSFORMS  # noqa: E402

FLUSH_EVERY_S = 0.5


class Stages(LoadTestShape):
    """One user per request a second, stage after stage; None ends the run."""

    def __init__(self, spec: TrafficSpec) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.ends: list[float] = []
        self.users: list[float] = []
        elapsed = 0.0
        for stage in spec.stages:
            elapsed += stage.seconds
            self.ends.append(elapsed)
            self.users.append(max(0.0, stage.rate))

    def tick(self) -> tuple[int, float] | None:
        now = self.get_run_time()  # type: ignore[no-untyped-call]
        for end, users in zip(self.ends, self.users, strict=True):
            if now < end:
                scaled = round(users * State.scale)
                return scaled, max(1.0, float(scaled))
        return None


class State:
    """What the users share: the spec, the rows, the transform now in force, the records."""

    spec: TrafficSpec
    files: TrafficFiles
    rows: list[TrafficRow]
    adapter: Adapter
    headers: dict[str, str]
    planted: int = 0
    refusal_quoted: bool = False
    transform: str = "none"
    scale: float = 1.0
    share: float = 1.0
    steered_headers: dict[str, str] = {}  # noqa: RUF012
    records: list[str] = []  # noqa: RUF012
    control_stamp: int = 0


def _read_control() -> None:
    try:
        stamp = State.files.control.stat().st_mtime_ns
    except FileNotFoundError:
        return
    if stamp != State.control_stamp:
        try:
            control = TrafficControl.model_validate_json(State.files.control.read_text())
            State.transform, State.scale = control.transform, control.scale
            State.share, State.steered_headers = control.share, control.headers
        except (OSError, ValueError):
            return
        State.control_stamp = stamp


def _flush() -> None:
    if not State.records:
        return
    lines, State.records = State.records, []
    with State.files.requests.open("a") as handle:
        handle.write("".join(lines))


def _housekeeping() -> None:
    while True:
        gevent.sleep(FLUSH_EVERY_S)
        _read_control()
        _flush()


def _answered(answer: Any) -> tuple[str, str]:
    """(answering model version, request id) of a 2xx answer, read by the protocol."""
    try:
        body = answer.json()
    except ValueError:
        body = None
    found = State.adapter.read(body, dict(answer.headers or {}))
    return found.version, found.request_id


class Applicant(FastHttpUser):
    """One applicant after another, on average one a second, at exponential intervals: the
    users' arrivals together are a Poisson stream. (Users of `constant_throughput` spawned
    together fire in step, every second a burst of all of them at once, and the burst's
    queue would be measured as the target's latency.)"""

    host = "http://127.0.0.1"
    network_timeout = 10.0
    connection_timeout = 10.0
    counter: ClassVar[int] = 0

    def on_start(self) -> None:
        Applicant.counter += 1
        self.random = np.random.default_rng([State.spec.seed, Applicant.counter])

    def wait_time(self) -> float:
        return float(self.random.exponential(1.0))

    def _record(self, started: float, latency: float, status: int, version: str,
                kind: str, error: str, defect: str = "", request_id: str = "",
                transform: str | None = None) -> None:  # fmt: skip
        State.records.append(json.dumps({
            "time": started, "latency_ms": latency, "status": status, "version": version,
            "kind": kind, "error": error, "defect": defect,
            "transform": State.transform if transform is None else transform,
            "request_id": request_id,
        }) + "\n")  # fmt: skip

    @task
    def predict(self) -> None:
        steered = State.share >= 1.0 or self.random.random() < State.share
        transform = State.transform if steered else "none"
        row = State.rows[int(self.random.integers(len(State.rows)))]
        instance, reported, defect = TRANSFORMS[transform](row, self.random, State.spec.shaping)
        State.planted += 1
        instance = plant(instance, State.spec.shaping.personal, State.spec.canary_token,
                         State.planted)  # fmt: skip
        body = State.adapter.body([instance])
        headers = {**State.headers, **State.steered_headers} if steered else State.headers
        started, clock = time.time(), time.perf_counter()
        with self.client.post(State.spec.predict_url, json=body,
                              headers=headers, catch_response=True,
                              name="predict") as answer:  # fmt: skip
            latency = (time.perf_counter() - clock) * 1000
            status = int(answer.status_code or 0)
            error = "" if status else str(answer.error or "no answer")[:200]
            if 400 <= status < 500 and not defect and not State.refusal_quoted:
                State.refusal_quoted = True  # the first refusal of a valid row, for the reason
                error = str(answer.text or "")[:300]
            version, request_id = _answered(answer) if 200 <= status < 300 else ("", "")
            answer.success()  # the harness judges; Locust's own failure stats are not used
        self._record(started, latency, status, version, "predict", error, defect, request_id,
                     transform)  # fmt: skip
        feedback = State.spec.feedback_url and reported is not None
        if request_id and feedback and self.random.random() < State.spec.feedback:
            self._feedback(request_id, reported)

    def _feedback(self, request_id: str, label: Any) -> None:
        assert State.spec.feedback_url is not None
        body = State.adapter.feedback(request_id, label)
        if body is None:
            return
        started, clock = time.time(), time.perf_counter()
        with self.client.post(State.spec.feedback_url, json=body, headers=State.headers,
                              catch_response=True, name="feedback") as answer:  # fmt: skip
            status = int(answer.status_code or 0)
            answer.success()
        self._record(started, (time.perf_counter() - clock) * 1000, status, "", "feedback", "")


def main(spec_path: Path) -> None:
    State.spec = TrafficSpec.model_validate_json(spec_path.read_text())
    State.files = TrafficFiles(spec_path.parent)
    State.rows = [TrafficRow.model_validate_json(line)
                  for line in State.files.rows.read_text().splitlines() if line]  # fmt: skip
    State.adapter = Adapter(State.spec.protocol, State.spec.shaping.instance_schema)
    State.transform = State.spec.transform
    key = os.environ.get(KEY_VARIABLE)
    credentials = State.spec.credentials
    State.headers = {credentials.header: credentials.header_value(key)} if key else {}
    _read_control()
    # Users finish the request in flight when the shape ends or on SIGTERM: one killed
    # mid-request would leave no record, and a request lost then would go uncounted.
    environment = Environment(user_classes=[Applicant], shape_class=Stages(State.spec),
                              stop_timeout=Applicant.network_timeout + 5)  # fmt: skip
    runner = environment.create_local_runner()
    gevent.signal_handler(signal.SIGTERM, runner.quit)
    housekeeping = gevent.spawn(_housekeeping)
    runner.start_shape()
    assert runner.shape_greenlet is not None
    runner.shape_greenlet.join()
    runner.quit()
    housekeeping.kill()
    _flush()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
