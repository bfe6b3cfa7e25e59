"""The prototype profile's pipeline: every stage one after another in the ingest process, on
a core NATS subscription. What a first version usually is, and what it lacks is the
point of the comparison: no broker acknowledgement (an event published while nothing
listens, or held when the process dies, is gone), no redelivery, no dead letters (a
message that fails is logged and dropped), one event at a time (no micro-batching), no
monitors."""

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from nats.aio.client import Client
from nats.aio.msg import Msg

from reference.event_driven.messages import ApplicationEvent
from reference.event_driven.stage import Rejected, Stage
from reference.event_driven.streams import EVENTS
from reference.event_driven.worker import STAGES, PipelineConfig, build_stage

log = logging.getLogger(__name__)


class InlinePipeline:
    def __init__(self, config: PipelineConfig) -> None:
        self.stages: list[Stage] = [build_stage(name, config) for name in STAGES]  # type: ignore[type-arg]
        self.processed = 0
        self.dropped = 0

    async def handle(self, message: Msg) -> None:
        """One event through every stage; a failure drops it (logged, not dead-lettered)."""
        try:
            batch: Sequence[object] = [ApplicationEvent.model_validate_json(message.data)]
            for stage in self.stages:
                answers = await stage.process(batch)
                if any(isinstance(answer, Rejected) for answer in answers):
                    raise ValueError(f"{stage.name} rejected it: {answers[0]}")
                if stage.output_subject is not None:  # a stage that publishes nothing (the
                    batch = [a for a in answers if a is not None]  # sink) passes its input on
        except Exception as problem:
            self.dropped += 1
            log.warning("dropped an event: %s", problem)
            return
        self.processed += 1


class InlineRunner:
    """Starts the stages and the subscription with the ingest, stops them with it."""

    def __init__(self, config: PipelineConfig) -> None:
        self.config = config

    @asynccontextmanager
    async def __call__(self, client: Client) -> AsyncIterator[None]:
        pipeline = InlinePipeline(self.config)
        for stage in pipeline.stages:
            await stage.start(None)
        subscription = await client.subscribe(EVENTS.subjects[0], cb=pipeline.handle)
        try:
            yield
        finally:
            await subscription.unsubscribe()
            for stage in pipeline.stages:
                await stage.close()
