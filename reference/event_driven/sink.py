"""The result sink: each result into the prediction log (the audit store, under the same PII
policy as the microservice), once. The check for an event already logged and the write are
one write transaction, so a redelivered result is not logged twice."""

import asyncio
from collections.abc import Sequence

from reference.event_driven.messages import InferenceResult
from reference.event_driven.stage import Rejected, Stage
from reference.event_driven.streams import RESULTS
from reference.platform.audit.prediction_log import Answer, PredictionLog, prediction_rows

TENANT = "stream"
"""The tenant the stream's predictions are logged under (the stream has no API keys)."""


class Sink(Stage[InferenceResult, InferenceResult]):
    name = "sink"
    source = RESULTS
    input_model = InferenceResult

    def __init__(self, log: PredictionLog) -> None:
        self.log = log
        self.written = 0

    async def process(
        self, batch: Sequence[InferenceResult]
    ) -> list[InferenceResult | Rejected | None]:
        rows = []
        for result in batch:
            answer = Answer(0, result.version, result.probability, result.decision)
            latency_ms = max(result.inferred_at - result.event_time, 0.0) * 1000
            request_id = result.request_id or result.event_id
            [row] = prediction_rows(request_id, TENANT, result.model, [answer], [result.features],
                                    latency_ms)  # fmt: skip
            rows.append({**row, "position": result.position})  # as feedback names it
        self.written += await asyncio.to_thread(self.log.write_new_predictions, rows)
        return [None] * len(batch)

    async def close(self) -> None:
        self.log.close()
