"""Give the static Adult rows a history, so that point-in-time retrieval has work to do.

Every applicant's features are recorded at a feature time; the decision (the label) is
known at a later decision time; and some applicants' features are updated after their
decision. A correct training set uses the values known at decision time, never the update.
The timeline is seeded, so the same data always gets the same history.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

from reference.platform.model.schema import FeatureSchema

TIMELINE_START = datetime(2025, 1, 1, tzinfo=UTC)
TIMELINE_SPAN = timedelta(days=540)
UPDATE_SHARE = 0.1
"""Share of applicants whose features change after their decision."""
EVENT_TIMESTAMP = "event_timestamp"
CREATED_TIMESTAMP = "created_timestamp"


@dataclass(frozen=True)
class Timeline:
    feature_rows: pd.DataFrame
    """applicant_id, event_timestamp, created_timestamp and every feature (no PII)."""
    decisions: pd.DataFrame
    """applicant_id, event_timestamp (the decision time) and the label."""


def build_timeline(frame: pd.DataFrame, schema: FeatureSchema, seed: int = 11) -> Timeline:
    generator = np.random.default_rng(seed)
    count = len(frame)
    span_seconds = TIMELINE_SPAN.total_seconds()
    recorded = pd.to_datetime(TIMELINE_START) + pd.to_timedelta(
        generator.uniform(0, span_seconds, count), unit="s"
    )
    decided = recorded + pd.to_timedelta(generator.uniform(3600, 30 * 86400, count), unit="s")
    features = [c.name for c in schema.features]

    initial = frame[[schema.entity, *features]].copy()
    initial[EVENT_TIMESTAMP] = recorded
    updated_rows = generator.random(count) < UPDATE_SHARE
    update = frame.loc[updated_rows, [schema.entity, *features]].copy()
    update["hours_per_week"] = np.clip(update["hours_per_week"] + 10, 1, 99)
    update["age"] = np.clip(update["age"] + 1, 16, 100)
    update[EVENT_TIMESTAMP] = decided[updated_rows] + pd.to_timedelta(
        generator.uniform(3600, 90 * 86400, int(updated_rows.sum())), unit="s"
    )
    rows = pd.concat([initial, update], ignore_index=True)
    rows[CREATED_TIMESTAMP] = rows[EVENT_TIMESTAMP]
    decisions = pd.DataFrame(
        {
            schema.entity: frame[schema.entity].to_numpy(),
            EVENT_TIMESTAMP: decided,
            schema.label.name: frame[schema.label.name].to_numpy(),
        }
    )
    return Timeline(feature_rows=rows, decisions=decisions)
