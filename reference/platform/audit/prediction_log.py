"""The prediction log: what was answered and on which features, what a shadow model would
have answered, the ground truth that came back later, and every change of the served model.

The monitors (drift needs the features, performance needs labels joined to predictions)
and the assessment (deployment history, shadow agreement) read it, so it is a store of its
own rather than a log file: the audit store (`reference.platform.audit`), SQLAlchemy Core
over a URL, a SQLite file under `READINESS_HOME` by default, PostgreSQL at scale. Every
table is a hash chain, appended to in serialised transactions, so the log is
tamper-evident (`readiness audit verify`) and its `seq` numbers follow commit order: a
reader polling `predictions_since(cursor)` never skips a row that committed late.

Features pass through the PII policy (`audit.pii.PiiRedactor`) on the way in, so PII is
never stored raw; a log opened without a redactor keeps no features at all. Feedback is
append-only: a later label for a prediction is a new row that supersedes the earlier one,
which stays as evidence.
"""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Engine, Table, func, select

from readiness.audit.chain import append
from readiness.audit.encoding import utc
from readiness.audit.store import AuditStore
from readiness.audit.tables import (
    SEQ,
    deployment_log,
    feedback,
    metadata,
    predictions,
    shadow_predictions,
)
from readiness.errors import AuditStoreFailed, Defect
from reference.platform.audit.pii import PiiRedactor

__all__ = [
    "Answer",
    "DeploymentEvent",
    "LabelledPrediction",
    "PredictionLog",
    "PredictionLogFailed",
    "PredictionRecord",
    "ShadowComparison",
    "deployment_log",
    "feedback",
    "metadata",
    "prediction_rows",
    "predictions",
    "shadow_predictions",
]

PredictionLogFailed = AuditStoreFailed
"""The prediction log could not be written or read (the audit store's error)."""


@dataclass(frozen=True)
class Answer:
    position: int
    version: str
    probability: float
    label: int


@dataclass(frozen=True, slots=True)
class PredictionRecord:
    """One logged prediction, as the monitors read it; `features` after the PII policy."""

    seq: int
    request_id: str
    position: int
    at: datetime
    tenant: str
    model: str
    version: str
    probability: float
    label: int
    features: dict[str, Any]
    latency_ms: float | None


@dataclass(frozen=True, slots=True)
class LabelledPrediction:
    """A feedback label joined with the prediction it labels; `feedback_seq` is the cursor.
    A prediction labelled twice appears twice: the later label supersedes."""

    feedback_seq: int
    labelled_at: datetime
    truth: int
    prediction: PredictionRecord


class DeploymentEvent(BaseModel):
    at: datetime
    actor: str
    model: str
    action: str
    from_version: str | None
    to_version: str | None
    detail: str


class ShadowComparison(BaseModel):
    request_id: str
    position: int
    served_version: str
    served_probability: float
    shadow_version: str
    shadow_probability: float


class PredictionLog:
    def __init__(self, url: str, redactor: PiiRedactor | None = None) -> None:
        """`redactor` applies the PII policy to logged features; without one, none are kept."""
        self.url, self.redactor = url, redactor
        self.store = AuditStore(url)
        self.engine: Engine = self.store.engine

    def record(
        self,
        request_id: str,
        tenant: str,
        model: str,
        answers: Sequence[Answer],
        features: Sequence[Mapping[str, Any]] | None = None,
        latency_ms: float | None = None,
    ) -> None:
        rows = prediction_rows(request_id, tenant, model, answers, features, latency_ms)
        self.write_predictions(rows)

    def write_predictions(self, rows: list[dict[str, Any]]) -> None:
        """Rows made by `prediction_rows`, in one transaction (for group commit)."""
        self._append(predictions, [self._redacted(row) for row in rows])

    def write_new_predictions(self, rows: list[dict[str, Any]], redacted: bool = False) -> int:
        """The rows whose (request id, position) is not logged yet, checked and written in
        one write transaction: a redelivered stream event is logged once (an idempotent
        sink). Returns how many were new. `redacted`: the features already passed the PII
        policy where they were produced (an edge device redacts before anything leaves
        it), so they are kept as they came rather than hashed a second time."""
        if not rows:
            return 0
        ids = {row["request_id"] for row in rows}
        query = select(predictions.c.request_id, predictions.c.position).where(
            predictions.c.request_id.in_(ids)
        )
        with self.store.writing() as connection:
            logged = {(r.request_id, r.position) for r in connection.execute(query)}
            redact = self._already_redacted if redacted else self._redacted
            fresh = [redact(r) for r in rows if (r["request_id"], r["position"]) not in logged]
            if fresh:
                append(connection, predictions, fresh)
        return len(fresh)

    def record_shadow(
        self, request_id: str, model: str, version: str, probabilities: Sequence[float]
    ) -> None:
        now = _now()
        rows = [
            {"request_id": request_id, "position": position, "at": now, "model": model,
             "version": version, "probability": probability}
            for position, probability in enumerate(probabilities)
        ]  # fmt: skip
        self._append(shadow_predictions, rows)

    def owners(self, request_ids: Sequence[str]) -> dict[tuple[str, int], str]:
        """(request id, position) -> tenant, for the predictions that exist."""
        query = select(predictions.c.request_id, predictions.c.position, predictions.c.tenant)
        query = query.where(predictions.c.request_id.in_(set(request_ids)))
        with self.store.reading() as connection:
            return {(r.request_id, r.position): r.tenant for r in connection.execute(query)}

    def record_feedback(self, labels: Sequence[tuple[str, int, int]]) -> None:
        """(request id, position, label); a later label for the same prediction supersedes
        an earlier one, which is kept (the log is append-only)."""
        now = _now()
        rows = [{"request_id": r, "position": p, "at": now, "label": y} for r, p, y in labels]
        self._append(feedback, rows)

    def log_deployment(
        self,
        actor: str,
        model: str,
        action: str,
        from_version: str | None,
        to_version: str | None,
        detail: str,
    ) -> DeploymentEvent:
        entry = DeploymentEvent(
            at=_now(), actor=actor, model=model, action=action,
            from_version=from_version, to_version=to_version, detail=detail[:1000],
        )  # fmt: skip
        self._append(deployment_log, [entry.model_dump()])
        return entry

    def deployments(self, model: str, limit: int = 100) -> list[DeploymentEvent]:
        query = (
            select(deployment_log)
            .where(deployment_log.c.model == model)
            .order_by(deployment_log.c[SEQ].desc())
            .limit(limit)
        )
        with self.store.reading() as connection:
            rows = connection.execute(query).mappings().all()
        return [DeploymentEvent.model_validate({**row, "at": utc(row["at"])}) for row in rows]

    def shadow_comparisons(self, model: str, limit: int = 100) -> list[ShadowComparison]:
        served, shadow = predictions.alias("served"), shadow_predictions.alias("shadow")
        query = (
            select(
                shadow.c.request_id, shadow.c.position,
                served.c.version.label("served_version"),
                served.c.probability.label("served_probability"),
                shadow.c.version.label("shadow_version"),
                shadow.c.probability.label("shadow_probability"),
            )
            .join(served, (served.c.request_id == shadow.c.request_id)
                  & (served.c.position == shadow.c.position))
            .where(shadow.c.model == model)
            .order_by(shadow.c[SEQ].desc())
            .limit(limit)
        )  # fmt: skip
        with self.store.reading() as connection:
            rows = connection.execute(query).mappings().all()
        return [ShadowComparison.model_validate(dict(row)) for row in rows]

    def predictions_since(self, after_seq: int, limit: int) -> list[PredictionRecord]:
        """Predictions with seq > `after_seq`, oldest first, at most `limit`: pass the last
        seq returned as the next cursor."""
        query = (
            select(predictions)
            .where(predictions.c[SEQ] > after_seq)
            .order_by(predictions.c[SEQ])
            .limit(limit)
        )
        with self.store.reading() as connection:
            return [_record(row) for row in connection.execute(query).mappings()]

    def predictions_between(
        self, model: str, version: str, started: datetime, ended: datetime, limit: int
    ) -> list[PredictionRecord]:
        """The predictions of one model version logged in [started, ended], oldest first:
        the rows behind a monitor window."""
        query = (
            select(predictions)
            .where(predictions.c.model == model, predictions.c.version == version)
            .where(predictions.c.at >= started, predictions.c.at <= ended)
            .order_by(predictions.c[SEQ])
            .limit(limit)
        )
        with self.store.reading() as connection:
            return [_record(row) for row in connection.execute(query).mappings()]

    def latest_predictions(self, model: str, version: str, limit: int) -> list[PredictionRecord]:
        """The most recent `limit` predictions of one model version, newest first."""
        query = (
            select(predictions)
            .where(predictions.c.model == model, predictions.c.version == version)
            .order_by(predictions.c[SEQ].desc())
            .limit(limit)
        )
        with self.store.reading() as connection:
            return [_record(row) for row in connection.execute(query).mappings()]

    def labelled_since(
        self, after_seq: int, limit: int, settled_s: float = 0.0
    ) -> list[LabelledPrediction]:
        """Feedback with seq > `after_seq` joined with its prediction, oldest first; only
        feedback at least `settled_s` old, so a label that came before its prediction was
        logged (a stream answers later) finds it there, rather than being passed over."""
        settled = datetime.now(UTC) - timedelta(seconds=settled_s)
        query = (
            select(
                predictions,
                feedback.c[SEQ].label("feedback_seq"),
                feedback.c.at.label("labelled_at"),
                feedback.c.label.label("truth"),
            )
            .join(predictions, (predictions.c.request_id == feedback.c.request_id)
                  & (predictions.c.position == feedback.c.position))
            .where((feedback.c[SEQ] > after_seq) & (feedback.c.at <= settled))
            .order_by(feedback.c[SEQ])
            .limit(limit)
        )  # fmt: skip
        with self.store.reading() as connection:
            rows = connection.execute(query).mappings().all()
        return [
            LabelledPrediction(
                feedback_seq=row["feedback_seq"], labelled_at=utc(row["labelled_at"]),
                truth=row["truth"], prediction=_record(row),
            )
            for row in rows
        ]  # fmt: skip

    def last_feedback_seq(self) -> int:
        """The newest feedback row's seq (0 without feedback): where a new reader starts."""
        with self.store.reading() as connection:
            found = connection.execute(select(func.max(feedback.c[SEQ]))).scalar_one()
        return int(found or 0)

    def logged_per_request(self, request_ids: Sequence[str]) -> dict[str, int]:
        """How many prediction rows each request id has (a duplicate shows as one more)."""
        query = (
            select(predictions.c.request_id, func.count())
            .where(predictions.c.request_id.in_(set(request_ids)))
            .group_by(predictions.c.request_id)
        )
        with self.store.reading() as connection:
            return {r[0]: int(r[1]) for r in connection.execute(query)}

    def count(self, table: str) -> int:
        with self.store.reading() as connection:
            chosen = metadata.tables[table]
            return int(connection.execute(select(func.count()).select_from(chosen)).scalar_one())

    def _redacted(self, row: Mapping[str, Any]) -> dict[str, Any]:
        features = row.get("features")
        if features is None or self.redactor is None:
            return {**row, "features": None}
        if not isinstance(features, Mapping):
            raise TypeError("a prediction's features are a mapping of column to value")
        kept = self.redactor.apply(features)
        return {**row, "features": json.dumps(kept, sort_keys=True, separators=(",", ":"))}

    @staticmethod
    def _already_redacted(row: Mapping[str, Any]) -> dict[str, Any]:
        features = row.get("features")
        text = (
            None
            if features is None
            else json.dumps(features, sort_keys=True, separators=(",", ":"))
        )
        return {**row, "features": text}

    def _append(self, table: Table, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        with self.store.writing() as connection:
            append(connection, table, rows)

    def close(self) -> None:
        self.store.close()


def prediction_rows(
    request_id: str,
    tenant: str,
    model: str,
    answers: Sequence[Answer],
    features: Sequence[Mapping[str, Any]] | None = None,
    latency_ms: float | None = None,
) -> list[dict[str, Any]]:
    """Rows for `write_predictions`; `features[i]` is the row answered at position i, raw:
    the log applies the PII policy when it writes them."""
    if features is not None and len(features) != len(answers):
        raise Defect(f"{len(answers)} answers but {len(features)} feature rows")
    now = _now()
    return [
        {"request_id": request_id, "position": a.position, "at": now, "tenant": tenant,
         "model": model, "version": a.version, "probability": a.probability, "label": a.label,
         "features": None if features is None else features[a.position],
         "latency_ms": latency_ms}
        for a in answers
    ]  # fmt: skip


def _record(row: Mapping[Any, Any]) -> PredictionRecord:
    text = row["features"]
    return PredictionRecord(
        seq=row[SEQ], request_id=row["request_id"], position=row["position"],
        at=utc(row["at"]), tenant=row["tenant"], model=row["model"], version=row["version"],
        probability=row["probability"], label=row["label"],
        features=json.loads(text) if text else {}, latency_ms=row["latency_ms"],
    )  # fmt: skip


def _now() -> datetime:
    return datetime.now(UTC)
