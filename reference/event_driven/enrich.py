"""Enrichment: an event's features, validated against the feature schema, or looked up in
the Feast online store by applicant id. An event whose features break the schema, or whose
applicant the store does not know, is rejected with the field and the problem (and so
dead-lettered), never guessed at."""

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from reference.event_driven.messages import ApplicationEvent, EnrichedEvent
from reference.event_driven.stage import Rejected, Stage
from reference.event_driven.streams import ENRICHED, EVENTS
from reference.platform.features.online import FeastFeatures
from reference.platform.model.schema import FeatureSchema
from reference.platform.serving.instances import instance_models


def _problem(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "(features)"
    return f"invalid features: {where}: {first['msg']}"


class Enrich(Stage[ApplicationEvent, EnrichedEvent]):
    name = "enrich"
    source = EVENTS
    input_model = ApplicationEvent
    output_subject = ENRICHED.subjects[0]

    def __init__(self, schema: FeatureSchema, feature_repo: Path | None) -> None:
        self.schema, self.feature_repo = schema, feature_repo
        self.row_model: type[BaseModel] = instance_models(schema)[0]
        self.features: FeastFeatures | None = None

    async def start(self, js: object) -> None:
        if self.feature_repo is not None:
            from reference.platform.features.repo import open_store

            self.features = FeastFeatures(open_store(self.feature_repo), self.schema)

    def _row(self, values: dict[str, Any]) -> dict[str, Any] | str:
        try:
            return self.row_model.model_validate(values).model_dump(mode="json")
        except ValidationError as error:
            return _problem(error)

    async def process(
        self, batch: Sequence[ApplicationEvent]
    ) -> list[EnrichedEvent | Rejected | None]:
        wanted = [e.applicant_id for e in batch if e.applicant_id is not None]
        looked_up: dict[str, dict[str, Any] | None] = {}
        if wanted and self.features is not None:
            looked_up = await asyncio.to_thread(self.features.lookup, sorted(set(wanted)))
        answers: list[EnrichedEvent | Rejected | None] = []
        for event in batch:
            if event.features is not None:
                values, source = event.features, "event"
            elif self.features is None:
                answers.append(Rejected("no feature store to look the applicant up in"))
                continue
            else:
                found = looked_up.get(str(event.applicant_id))
                if found is None:
                    answers.append(Rejected(f"unknown applicant {event.applicant_id}"))
                    continue
                values, source = found, "feature-store"
            row = self._row(values)
            if isinstance(row, str):
                answers.append(Rejected(row))
                continue
            answers.append(EnrichedEvent(event_id=event.event_id, event_time=event.event_time,
                                         features=row, source=source, request_id=event.request_id,
                                         position=event.position))  # fmt: skip
        return answers
