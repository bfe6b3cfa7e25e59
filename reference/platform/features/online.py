"""Online features by applicant from the Feast online store, for any serving path (the
microservice's gateway, the event-driven enrichment stage)."""

import math
from typing import Any

from feast import FeatureStore

from reference.platform.features.repo import online_features
from reference.platform.model.schema import FeatureSchema


class FeastFeatures:
    """Online features by applicant; an applicant the store lacks answers None."""

    def __init__(self, store: FeatureStore, schema: FeatureSchema) -> None:
        self.store, self.schema = store, schema

    def lookup(self, applicant_ids: list[str]) -> dict[str, dict[str, Any] | None]:
        frame = online_features(self.store, self.schema, applicant_ids)
        found: dict[str, dict[str, Any] | None] = {}
        names = [c.name for c in self.schema.features]
        for record in frame.to_dict(orient="records"):
            values = {name: _plain(record.get(name)) for name in names}
            known = any(value is not None for value in values.values())
            found[str(record[self.schema.entity])] = values if known else None
        return found


def _plain(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value
