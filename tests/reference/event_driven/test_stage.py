"""The stage loop against a real NATS JetStream server: one output per event, poison
dead-lettered with the reason, a failing message retried then dead-lettered alone."""

import asyncio
import json
from collections.abc import Sequence

import nats
from nats.js.client import JetStreamContext
from pydantic import BaseModel

from reference.event_driven.messages import DeadLetter
from reference.event_driven.stage import Rejected, Stage, StageRunner
from reference.event_driven.streams import (
    DEAD,
    ENRICHED,
    EVENTS,
    MAX_DELIVER,
    ensure_streams,
)
from reference.platform.deploy.broker import Broker


class Shout(BaseModel):
    event_id: str
    text: str


class Upper(Stage[Shout, Shout]):
    """Upper-cases text; 'never' is rejected, 'boom' always raises."""

    name = "upper"
    source = EVENTS
    input_model = Shout
    output_subject = ENRICHED.subjects[0]

    async def process(self, batch: Sequence[Shout]) -> list[Shout | Rejected | None]:
        if any(item.text == "boom" for item in batch):
            raise RuntimeError("the model fell over")
        return [
            Rejected("nothing to shout") if item.text == "never"
            else Shout(event_id=item.event_id, text=item.text.upper())
            for item in batch
        ]  # fmt: skip


async def _publish(js: JetStreamContext, bodies: list[bytes]) -> None:
    for index, body in enumerate(bodies):
        await js.publish(EVENTS.subjects[0], body, headers={"Nats-Msg-Id": f"in-{index}"})


async def _drain(js: JetStreamContext, subject: str, stream: str) -> list[bytes]:
    info = await js.stream_info(stream)
    if not info.state.messages:
        return []
    found = []
    for sequence in range(info.state.first_seq, info.state.last_seq + 1):
        message = await js.get_msg(stream, sequence)
        if (message.subject or "").startswith(subject.rstrip(">")):
            found.append(message.data or b"")
    return found


async def _run(
    broker: Broker, bodies: list[bytes], settle_s: float
) -> tuple[list[bytes], list[bytes], Upper]:
    client = await nats.connect(broker.url)
    js = client.jetstream()
    await ensure_streams(js)
    await _publish(js, bodies)
    stage = Upper()
    runner = StageRunner(stage, broker.url, batch_size=8)
    task = asyncio.create_task(runner.run())
    await asyncio.sleep(settle_s)
    runner.stopping.set()
    await task
    outputs = await _drain(js, ENRICHED.subjects[0], ENRICHED.name)
    letters = await _drain(js, "deadletter.", DEAD.name)
    await client.close()
    return outputs, letters, stage


def test_every_event_gives_exactly_one_output(broker: Broker) -> None:
    bodies = [
        Shout(event_id=f"e{i}", text=f"hello {i}").model_dump_json().encode() for i in range(50)
    ]
    outputs, letters, _ = asyncio.run(_run(broker, bodies, settle_s=3))
    assert sorted(json.loads(o)["event_id"] for o in outputs) == sorted(f"e{i}" for i in range(50))
    assert letters == []


def test_poison_is_dead_lettered_with_its_reason_and_the_rest_goes_on(broker: Broker) -> None:
    bodies = [b"{not json", Shout(event_id="ok", text="fine").model_dump_json().encode(),
              Shout(event_id="no", text="never").model_dump_json().encode()]  # fmt: skip
    outputs, letters, _ = asyncio.run(_run(broker, bodies, settle_s=3))
    assert [json.loads(o)["text"] for o in outputs] == ["FINE"]
    parsed = [DeadLetter.model_validate_json(letter) for letter in letters]
    reasons = {letter.payload: letter.reason for letter in parsed}
    assert reasons["{not json"].startswith("undecodable: (message): Invalid JSON")
    assert reasons[bodies[2].decode()] == "nothing to shout"


def test_a_message_that_keeps_failing_is_dead_lettered_alone_after_its_retries(
    broker: Broker,
) -> None:
    bodies = [Shout(event_id="bad", text="boom").model_dump_json().encode(),
              Shout(event_id="good", text="fine").model_dump_json().encode()]  # fmt: skip
    outputs, letters, _ = asyncio.run(_run(broker, bodies, settle_s=9))
    assert [json.loads(o)["event_id"] for o in outputs] == ["good"]
    [letter] = [DeadLetter.model_validate_json(raw) for raw in letters]
    assert letter.event_id == "bad"
    assert letter.deliveries == MAX_DELIVER
    assert letter.reason == f"failed {MAX_DELIVER} times: RuntimeError: the model fell over"
