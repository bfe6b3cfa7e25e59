"""The streams of the pipeline and their durable consumers, declared once.

events -> [enrich] -> enriched -> [infer] -> results -> [sink]   (prediction log)
                                                    \\-> [action] -> actions
A stage's poison messages go to `deadletter.<stage>`. Every stream deduplicates by
`Nats-Msg-Id` within `DUPLICATE_WINDOW_S`, on file storage under the broker's store.
"""

from dataclasses import dataclass

from nats.js.api import (
    AckPolicy,
    ConsumerConfig,
    DeliverPolicy,
    RetentionPolicy,
    StorageType,
    StreamConfig,
)
from nats.js.client import JetStreamContext
from nats.js.errors import NotFoundError

DUPLICATE_WINDOW_S = 600.0
"""Longer than any redelivery the stages allow (MAX_DELIVER x ACK_WAIT_S), so a copy
re-published after a crash is always recognised."""
MAX_AGE_S = 7 * 24 * 3600.0
MAX_DELIVER = 5
"""Deliveries of one message before the stage dead-letters it as failing."""
ACK_WAIT_S = 10.0
"""How long a fetched message may stay unacknowledged before the broker delivers it again
(to another worker of the stage when its holder died): the bound on recovery after a
crash. A batch takes milliseconds, so ten seconds is a wide margin."""


@dataclass(frozen=True)
class StreamSpec:
    name: str
    subjects: tuple[str, ...]


EVENTS = StreamSpec("EVENTS", ("events.applications",))
ENRICHED = StreamSpec("ENRICHED", ("enriched.applications",))
RESULTS = StreamSpec("RESULTS", ("results.applications",))
ACTIONS = StreamSpec("ACTIONS", ("actions.applications",))
DEAD = StreamSpec("DEADLETTER", ("deadletter.>",))
ALL = (EVENTS, ENRICHED, RESULTS, ACTIONS, DEAD)


def dead_letter_subject(stage: str) -> str:
    return f"deadletter.{stage}"


async def ensure_streams(js: JetStreamContext) -> None:
    """Create the streams, or bring existing ones to this configuration."""
    for spec in ALL:
        config = StreamConfig(
            name=spec.name, subjects=list(spec.subjects), storage=StorageType.FILE,
            retention=RetentionPolicy.LIMITS, duplicate_window=DUPLICATE_WINDOW_S,
            max_age=MAX_AGE_S,
        )  # fmt: skip
        try:
            await js.stream_info(spec.name)
        except NotFoundError:
            await js.add_stream(config)
        else:
            await js.update_stream(config)


def consumer_config(durable: str, max_in_flight: int) -> ConsumerConfig:
    """A durable pull consumer with explicit acks: a message is done only when its stage
    says so, and at most `max_in_flight` are out at once (backpressure)."""
    return ConsumerConfig(
        durable_name=durable, ack_policy=AckPolicy.EXPLICIT, deliver_policy=DeliverPolicy.ALL,
        max_deliver=MAX_DELIVER + 1, ack_wait=ACK_WAIT_S, max_ack_pending=max_in_flight,
    )  # fmt: skip


CONSUMERS = {"enrich": EVENTS, "infer": ENRICHED, "sink": RESULTS, "action": RESULTS}
"""Each stage's durable consumer and the stream it reads."""
