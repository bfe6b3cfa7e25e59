"""One stage of the pipeline: a durable pull consumer, a batch at a time, explicit acks.

The loop every stage shares, so each stage is only its `process`:

1. fetch up to `batch_size` messages (at most `max_in_flight` unacknowledged: the broker
   holds the rest, which is the backpressure);
2. decode each into the stage's input model; one that does not decode is dead-lettered
   with the reason and terminated (never redelivered, never dropped silently);
3. process the batch; when it raises, process the messages one by one, so a poison message
   fails alone: it is retried with a delay and dead-lettered on its `MAX_DELIVER`-th
   delivery; the others go on;
4. publish each output with `Nats-Msg-Id` = the event's id and wait for the broker's ack,
   then ack the input. A crash between the two redelivers the input, the stage publishes
   again, and the broker drops the copy: one output per event, whatever crashed when.

With fault hooks enabled (`hold`), a stage can be asked to stop half-way through
publishing a batch and wait to be killed there (`reference.event_driven.hold`).
"""

import asyncio
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import nats
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.errors import ConnectionClosedError, NoServersError
from nats.errors import Error as NatsError
from nats.errors import TimeoutError as NatsTimeout
from nats.js.client import JetStreamContext
from nats.js.errors import APIError
from pydantic import BaseModel, ValidationError

from reference.event_driven.hold import HoldSwitch
from reference.event_driven.messages import DeadLetter
from reference.event_driven.streams import (
    MAX_DELIVER,
    StreamSpec,
    consumer_config,
    dead_letter_subject,
)

log = logging.getLogger(__name__)
FETCH_TIMEOUT_S = 0.5
RETRY_DELAY_S = 0.5
"""Delay before a failed message is delivered again (times its delivery count)."""
DEDUP_HEADER = "Nats-Msg-Id"
BROKER_AWAY = (NatsError, APIError, TimeoutError, ConnectionError)
"""What a publish or an ack raises while the broker restarts or JetStream is not back yet
(no responders, no stream response, a timeout, a closed connection): the message is left
unacknowledged, the broker delivers it again, and the copy its output makes is dropped."""

In = TypeVar("In", bound=BaseModel)
Out = TypeVar("Out", bound=BaseModel)


@dataclass(frozen=True)
class Rejected:
    """An input the stage will never be able to process (a feature outside the schema, an
    unknown applicant): dead-lettered with `reason` at once, not retried."""

    reason: str


class Stage(ABC, Generic[In, Out]):
    name: str
    source: StreamSpec
    input_model: type[In]
    output_subject: str | None = None

    async def start(self, js: JetStreamContext | None) -> None:
        """Open what the stage needs (a model, a store); called once before the loop (with
        no JetStream in the prototype)."""

    @abstractmethod
    async def process(self, batch: Sequence[In]) -> list[Out | Rejected | None]:
        """One answer per input, in order: an output to publish, a rejection, or None (the
        input is done and publishes nothing)."""

    async def close(self) -> None:
        """Release what `start` opened."""


@dataclass
class StageCounters:
    """What a stage has done, for its metrics."""

    processed: int = 0
    published: int = 0
    duplicates: int = 0
    """Outputs the broker recognised as already published (a redelivery's copy)."""
    dead_lettered: int = 0
    redelivered: int = 0
    failures: int = 0


class StageRunner(Generic[In, Out]):
    def __init__(
        self,
        stage: Stage[In, Out],
        url: str,
        batch_size: int = 64,
        max_in_flight: int = 256,
        hold: HoldSwitch | None = None,
    ) -> None:
        self.stage, self.url = stage, url
        self.batch_size, self.max_in_flight = batch_size, max_in_flight
        self.hold = hold
        self.counters = StageCounters()
        self.stopping = asyncio.Event()

    async def run(self) -> None:
        client = await nats.connect(
            self.url, max_reconnect_attempts=-1, reconnect_time_wait=0.25,
            name=f"readiness-{self.stage.name}",
        )  # fmt: skip
        js = client.jetstream()
        await self.stage.start(js)
        try:
            subscription = await self._subscribe(js)
            while not self.stopping.is_set():
                try:
                    messages = await subscription.fetch(self.batch_size, timeout=FETCH_TIMEOUT_S)
                except (NatsTimeout, TimeoutError):  # nothing to fetch within the timeout
                    continue
                except (ConnectionClosedError, NoServersError, APIError) as problem:
                    log.warning("%s: fetch failed (%s); retrying", self.stage.name, problem)
                    await asyncio.sleep(0.5)
                    continue
                try:
                    await self.handle(js, messages)
                except BROKER_AWAY as problem:  # what is unacked comes back: nothing is lost
                    log.warning("%s: the broker is away (%s); its messages will come back",
                                self.stage.name, type(problem).__name__)  # fmt: skip
                    await asyncio.sleep(0.5)
        finally:
            await self.stage.close()
            await _close(client)

    async def _subscribe(self, js: JetStreamContext) -> "JetStreamContext.PullSubscription":
        """The stage's durable consumer; waits for the broker while it restarts."""
        config = consumer_config(self.stage.name, self.max_in_flight)
        while True:
            try:
                return await js.pull_subscribe(
                    self.stage.source.subjects[0], durable=self.stage.name,
                    stream=self.stage.source.name, config=config,
                )  # fmt: skip
            except (APIError, NatsTimeout, ConnectionClosedError, NoServersError) as problem:
                log.warning("%s: cannot subscribe yet (%s)", self.stage.name, problem)
                await asyncio.sleep(0.5)

    async def handle(self, js: JetStreamContext, messages: list[Msg]) -> None:
        decoded: list[tuple[Msg, In]] = []
        for message in messages:
            if message.metadata.num_delivered > 1:
                self.counters.redelivered += 1
            try:
                decoded.append((message, self.stage.input_model.model_validate_json(message.data)))
            except ValidationError as problem:
                first = problem.errors()[0]
                where = ".".join(str(p) for p in first["loc"]) or "(message)"
                await self.dead_letter(js, message, None, f"undecodable: {where}: {first['msg']}")
        if not decoded:
            return
        try:
            answers = await self.stage.process([payload for _, payload in decoded])
        except Exception:
            await self._one_by_one(js, decoded)
            return
        pairs = list(zip(decoded, answers, strict=True))
        holding = self.hold is not None and self.hold.requested(self.stage.name)
        if holding and await self._hold(js, pairs):
            return
        await asyncio.gather(*(self._finish(js, m, p, a) for (m, p), a in pairs))

    async def _hold(
        self, js: JetStreamContext, pairs: list[tuple[tuple[Msg, In], Out | Rejected | None]]
    ) -> bool:
        """Publish the first half of the batch's outputs, ack nothing, and wait (to be
        killed, or stopped: either way the whole batch comes back). False when another
        worker holds already: this one finishes its batch as usual."""
        first = pairs[: len(pairs) // 2]
        for (_, payload), answer in first:
            if answer is not None and not isinstance(answer, Rejected):
                await self._publish(js, payload, answer)
        assert self.hold is not None
        if not self.hold.claim(self.stage.name, len(pairs), len(first)):
            return False
        log.warning("%s: holding a batch of %d with %d outputs published, unacked",
                    self.stage.name, len(pairs), len(first))  # fmt: skip
        await self.stopping.wait()
        return True

    async def _one_by_one(self, js: JetStreamContext, decoded: list[tuple[Msg, In]]) -> None:
        for message, payload in decoded:
            try:
                [answer] = await self.stage.process([payload])
            except Exception as error:
                self.counters.failures += 1
                deliveries = message.metadata.num_delivered
                if deliveries >= MAX_DELIVER:
                    reason = f"failed {deliveries} times: {type(error).__name__}: {error}"
                    await self.dead_letter(js, message, _event_id(payload), reason)
                else:
                    await message.nak(delay=RETRY_DELAY_S * deliveries)
                continue
            await self._finish(js, message, payload, answer)

    async def _finish(
        self, js: JetStreamContext, message: Msg, payload: In, answer: Out | Rejected | None
    ) -> None:
        if isinstance(answer, Rejected):
            await self.dead_letter(js, message, _event_id(payload), answer.reason)
            return
        if answer is not None:
            await self._publish(js, payload, answer)
        await message.ack()
        self.counters.processed += 1

    async def _publish(self, js: JetStreamContext, payload: In, answer: Out) -> None:
        if self.stage.output_subject is None:
            return
        acknowledged = await js.publish(
            self.stage.output_subject, answer.model_dump_json().encode(),
            headers={DEDUP_HEADER: _event_id(payload) or ""},
        )  # fmt: skip
        self.counters.published += 1
        self.counters.duplicates += int(bool(acknowledged.duplicate))

    async def dead_letter(
        self, js: JetStreamContext, message: Msg, event_id: str | None, reason: str
    ) -> None:
        """Publish the message and why to the stage's dead-letter subject, then terminate
        it (the broker will not deliver it again)."""
        sequence = message.metadata.sequence.stream
        letter = DeadLetter(
            stage=self.stage.name, reason=reason, event_id=event_id,
            deliveries=message.metadata.num_delivered, stream_sequence=sequence,
            payload=message.data.decode("utf-8", errors="replace"), at=time.time(),
        )  # fmt: skip
        await js.publish(
            dead_letter_subject(self.stage.name), letter.model_dump_json().encode(),
            headers={DEDUP_HEADER: f"{self.stage.name}:{sequence}"},
        )  # fmt: skip
        await message.term()
        self.counters.dead_lettered += 1
        log.info("%s: dead-lettered stream sequence %d: %s", self.stage.name, sequence, reason)


def _event_id(payload: BaseModel) -> str | None:
    found = getattr(payload, "event_id", None)
    return str(found) if found is not None else None


async def _close(client: Client) -> None:
    """Close without draining: every message fetched has been acked, nak'd or terminated
    by now, and draining a pull subscription waits out its pending fetch."""
    if not client.is_closed:
        await client.close()
