"""The action service: reacts to each result once. An application the model would not
approve is flagged for manual review; the others are approved. The action is recorded in
its own table keyed by the event id (insert if absent), then published on the actions
stream with the event id as `Nats-Msg-Id`: a redelivered result finds its action already
taken and publishes the same one again, which the broker drops.

The end-to-end latency (event time to action time) of each new action is what the
pipeline's SLO is about."""

import asyncio
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from sqlalchemy import Column, Float, MetaData, String, Table, create_engine, func, select
from sqlalchemy.dialects.sqlite import insert

from reference.event_driven.messages import ActionTaken, InferenceResult
from reference.event_driven.stage import Rejected, Stage
from reference.event_driven.streams import ACTIONS, RESULTS

metadata = MetaData()
actions = Table(
    "actions", metadata,
    Column("event_id", String(128), primary_key=True),
    Column("event_time", Float, nullable=False),
    Column("action", String(32), nullable=False),
    Column("version", String(32), nullable=False),
    Column("acted_at", Float, nullable=False),
    Column("request_id", String(128), nullable=True, index=True),
)  # fmt: skip


class ActionStore:
    """Actions taken, one row per event (SQLite, beside the deployment)."""

    def __init__(self, path: Path) -> None:
        self.engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 30})
        metadata.create_all(self.engine)

    def take(self, wanted: list[dict[str, object]]) -> tuple[dict[str, ActionTaken], set[str]]:
        """Insert the actions not taken yet; every event's action as recorded, and the ids
        that are new."""
        ids = [str(row["event_id"]) for row in wanted]
        with self.engine.begin() as connection:
            before = {r.event_id for r in connection.execute(
                select(actions.c.event_id).where(actions.c.event_id.in_(ids)))}  # fmt: skip
            if wanted:
                connection.execute(insert(actions).on_conflict_do_nothing(), wanted)
            rows = connection.execute(select(actions).where(actions.c.event_id.in_(ids))).all()
        taken = {
            r.event_id: ActionTaken(event_id=r.event_id, event_time=r.event_time,
                                    action=r.action, acted_at=r.acted_at)
            for r in rows
        }  # fmt: skip
        return taken, set(ids) - before

    def by_request(self, request_ids: list[str]) -> dict[str, tuple[int, float]]:
        """For each request id with actions: how many, and when the last was taken."""
        query = (
            select(actions.c.request_id, func.count(), func.max(actions.c.acted_at))
            .where(actions.c.request_id.in_(request_ids)).group_by(actions.c.request_id)
        )  # fmt: skip
        with self.engine.connect() as connection:
            return {r[0]: (int(r[1]), float(r[2])) for r in connection.execute(query)}

    def count(self) -> int:
        with self.engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(actions)).scalar_one())

    def close(self) -> None:
        self.engine.dispose()


def decide(result: InferenceResult) -> str:
    return "approve" if result.decision == 1 else "manual-review"


class Act(Stage[InferenceResult, ActionTaken]):
    name = "action"
    source = RESULTS
    input_model = InferenceResult
    output_subject = ACTIONS.subjects[0]

    def __init__(self, store: ActionStore, observe: Callable[[float], None] | None = None) -> None:
        self.store, self.observe = store, observe

    async def process(
        self, batch: Sequence[InferenceResult]
    ) -> list[ActionTaken | Rejected | None]:
        now = time.time()
        wanted: list[dict[str, object]] = [
            {"event_id": r.event_id, "event_time": r.event_time, "action": decide(r),
             "version": r.version, "acted_at": now, "request_id": r.request_id or r.event_id}
            for r in batch
        ]  # fmt: skip
        taken, new = await asyncio.to_thread(self.store.take, wanted)
        if self.observe is not None:
            for event_id in new:
                self.observe(taken[event_id].acted_at - taken[event_id].event_time)
        return [taken[r.event_id] for r in batch]

    async def close(self) -> None:
        self.store.close()
