"""The prediction log: what was answered, what a shadow model would have answered, the
ground truth that came back later, and every change of the served model.

The monitors (performance needs labels joined to predictions) and the assessment
(deployment history, shadow agreement) read it, so it is a store of its own rather than a
log file. SQLAlchemy Core over a URL: a SQLite file under `READINESS_HOME` by default,
PostgreSQL at scale. No feature values are kept here, only what a prediction decided;
features with PII stay out of this store by construction.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import BaseModel
from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    event,
    func,
    insert,
    select,
)
from sqlalchemy.exc import SQLAlchemyError

from readiness.errors import OperationFailed

metadata = MetaData()
predictions = Table(
    "predictions", metadata,
    Column("request_id", String(36), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
    Column("tenant", String(64), nullable=False),
    Column("model", String(128), nullable=False),
    Column("version", String(32), nullable=False),
    Column("probability", Float, nullable=False),
    Column("label", Integer, nullable=False),
)  # fmt: skip
shadow_predictions = Table(
    "shadow_predictions", metadata,
    Column("request_id", String(36), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("model", String(128), nullable=False),
    Column("version", String(32), nullable=False),
    Column("probability", Float, nullable=False),
)  # fmt: skip
feedback = Table(
    "feedback", metadata,
    Column("request_id", String(36), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("label", Integer, nullable=False),
)  # fmt: skip
deployment_log = Table(
    "deployment_log", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("model", String(128), nullable=False),
    Column("action", String(32), nullable=False),
    Column("from_version", String(32)),
    Column("to_version", String(32)),
    Column("detail", String(1000), nullable=False),
)  # fmt: skip


class PredictionLogFailed(OperationFailed):
    """The prediction log could not be written or read."""


@dataclass(frozen=True)
class Answer:
    position: int
    version: str
    probability: float
    label: int


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
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Engine = create_engine(url)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        try:
            metadata.create_all(self.engine)
        except SQLAlchemyError as error:
            raise PredictionLogFailed(f"prediction log {url} cannot be opened: {error}") from error

    def record(self, request_id: str, tenant: str, model: str, answers: Sequence[Answer]) -> None:
        self._write(predictions, prediction_rows(request_id, tenant, model, answers))

    def write_predictions(self, rows: list[dict[str, object]]) -> None:
        """Rows made by `prediction_rows`, in one transaction (for group commit)."""
        self._write(predictions, rows)

    def record_shadow(
        self, request_id: str, model: str, version: str, probabilities: Sequence[float]
    ) -> None:
        now = _now()
        rows = [
            {"request_id": request_id, "position": position, "at": now, "model": model,
             "version": version, "probability": probability}
            for position, probability in enumerate(probabilities)
        ]  # fmt: skip
        self._write(shadow_predictions, rows)

    def owners(self, request_ids: Sequence[str]) -> dict[tuple[str, int], str]:
        """(request id, position) -> tenant, for the predictions that exist."""
        query = select(predictions.c.request_id, predictions.c.position, predictions.c.tenant)
        query = query.where(predictions.c.request_id.in_(set(request_ids)))
        with self.engine.connect() as connection:
            return {(r.request_id, r.position): r.tenant for r in connection.execute(query)}

    def record_feedback(self, labels: Sequence[tuple[str, int, int]]) -> None:
        """(request id, position, label); a later label for the same prediction replaces it."""
        now = _now()
        keys = {(request_id, position) for request_id, position, _ in labels}
        rows = [{"request_id": r, "position": p, "at": now, "label": y} for r, p, y in labels]
        try:
            with self.engine.begin() as connection:
                for request_id, position in keys:
                    same = (feedback.c.request_id == request_id) & (feedback.c.position == position)
                    connection.execute(feedback.delete().where(same))
                connection.execute(insert(feedback), rows)
        except SQLAlchemyError as error:
            raise PredictionLogFailed(f"prediction log {self.url}: {error}") from error

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
        self._write(deployment_log, [entry.model_dump()])
        return entry

    def deployments(self, model: str, limit: int = 100) -> list[DeploymentEvent]:
        query = (
            select(deployment_log)
            .where(deployment_log.c.model == model)
            .order_by(deployment_log.c.id.desc())
            .limit(limit)
        )
        with self.engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
        return [DeploymentEvent.model_validate({**row, "at": _aware(row["at"])}) for row in rows]

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
            .order_by(shadow.c.at.desc())
            .limit(limit)
        )  # fmt: skip
        with self.engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
        return [ShadowComparison.model_validate(dict(row)) for row in rows]

    def count(self, table: str) -> int:
        with self.engine.connect() as connection:
            chosen = metadata.tables[table]
            return int(connection.execute(select(func.count()).select_from(chosen)).scalar_one())

    def _write(self, table: Table, rows: list[dict[str, object]]) -> None:
        if not rows:
            return
        try:
            with self.engine.begin() as connection:
                connection.execute(insert(table), rows)
        except SQLAlchemyError as error:
            raise PredictionLogFailed(f"prediction log {self.url}: {error}") from error

    def close(self) -> None:
        self.engine.dispose()


def prediction_rows(
    request_id: str, tenant: str, model: str, answers: Sequence[Answer]
) -> list[dict[str, object]]:
    now = _now()
    return [
        {"request_id": request_id, "position": a.position, "at": now, "tenant": tenant,
         "model": model, "version": a.version, "probability": a.probability, "label": a.label}
        for a in answers
    ]  # fmt: skip


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; they were written in UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _sqlite_pragmas(connection: object, _: object) -> None:
    cursor = connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
