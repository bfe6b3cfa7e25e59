"""Where the monitors' inputs and results live: sketches written by serving processes,
window results, and alerts with their actions. Tables of their own in the deployment's
audit store (SQLAlchemy: a SQLite file by default, PostgreSQL at scale), next to the
prediction log, so one URL gives the assessment everything that was observed."""

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    DateTime,
    Engine,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    insert,
    select,
    update,
)
from sqlalchemy.exc import SQLAlchemyError

from readiness.errors import MonitorStoreFailed
from reference.platform.alerting.engine import Alert
from reference.platform.monitoring.sketch import Sketch

metadata = MetaData()
sketches = Table(
    "monitor_sketches", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("model", String(128), nullable=False),
    Column("version", String(32), nullable=False),
    Column("source", String(128), nullable=False),
    Column("rows", Integer, nullable=False),
    Column("sketch", Text, nullable=False),
)  # fmt: skip
windows = Table(
    "monitor_windows", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("model", String(128), nullable=False, index=True),
    Column("version", String(32), nullable=False),
    Column("monitor", String(32), nullable=False),
    Column("started", DateTime(timezone=True), nullable=False),
    Column("ended", DateTime(timezone=True), nullable=False),
    Column("rows", Integer, nullable=False),
    Column("result", Text, nullable=False),
)  # fmt: skip
received = Table(
    "monitor_received", metadata,
    Column("key", String(128), primary_key=True),
)  # fmt: skip
"""Keys of sketches that came from afar (an edge device's `device:seq`): a sketch sent
twice is written once."""
alerts = Table(
    "alerts", metadata,
    Column("id", String(32), primary_key=True),
    Column("rule", String(64), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("model", String(128), nullable=False),
    Column("state", String(16), nullable=False),
    Column("fired_at", DateTime(timezone=True), nullable=False),
    Column("resolved_at", DateTime(timezone=True)),
    Column("value", Float, nullable=False),
    Column("inhibited", Boolean, nullable=False),
    Column("document", Text, nullable=False),
)  # fmt: skip


class MonitorStore:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Engine = create_engine(url)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        try:
            metadata.create_all(self.engine)
        except SQLAlchemyError as error:
            raise MonitorStoreFailed(f"monitor store {url} cannot be opened: {error}") from error

    def write_sketches(self, produced: list[Sketch]) -> None:
        self._execute(insert(sketches), [_sketch_row(s) for s in produced])

    def write_new_sketches(self, keyed: list[tuple[str, Sketch]]) -> int:
        """The sketches whose key was not received before, checked and written in one
        transaction (a sketch forwarded twice is judged once); how many were new."""
        try:
            with self.engine.begin() as connection:
                fresh = _claim(connection, [key for key, _ in keyed])
                rows = [_sketch_row(s) for key, s in keyed if key in fresh]
                if rows:
                    connection.execute(insert(sketches), rows)
        except SQLAlchemyError as error:
            raise MonitorStoreFailed(f"monitor store {self.url}: {error}") from error
        return len(rows)

    def claim(self, keys: list[str]) -> set[str]:
        """Record keys as received; those that were not before (for records written
        elsewhere, such as an edge device's deployment events)."""
        try:
            with self.engine.begin() as connection:
                return _claim(connection, keys)
        except SQLAlchemyError as error:
            raise MonitorStoreFailed(f"monitor store {self.url}: {error}") from error

    def sketches_since(self, after_id: int, limit: int = 1000) -> list[tuple[int, Sketch]]:
        query = select(sketches.c.id, sketches.c.sketch).where(sketches.c.id > after_id)
        with self.engine.connect() as connection:
            found = connection.execute(query.order_by(sketches.c.id).limit(limit)).all()
        return [(row.id, Sketch.model_validate_json(row.sketch)) for row in found]

    def last_sketch_id(self) -> int:
        query = select(sketches.c.id).order_by(sketches.c.id.desc()).limit(1)
        with self.engine.connect() as connection:
            return int(connection.execute(query).scalar() or 0)

    def write_window(
        self, model: str, version: str, monitor: str, started: datetime, ended: datetime,
        rows: int, result: dict[str, Any],
    ) -> None:  # fmt: skip
        self._execute(insert(windows), [{
            "model": model, "version": version, "monitor": monitor, "started": started,
            "ended": ended, "rows": rows, "result": json.dumps(result),
        }])  # fmt: skip

    def windows(self, model: str, monitor: str | None = None) -> list[dict[str, Any]]:
        query = select(windows).where(windows.c.model == model).order_by(windows.c.id)
        if monitor is not None:
            query = query.where(windows.c.monitor == monitor)
        with self.engine.connect() as connection:
            found = connection.execute(query).mappings().all()
        return [{**row, "result": json.loads(row["result"]), "started": _aware(row["started"]),
                 "ended": _aware(row["ended"])} for row in found]  # fmt: skip

    def save_alert(self, alert: Alert) -> None:
        values = {
            "rule": alert.rule, "severity": str(alert.severity), "model": alert.model,
            "state": str(alert.state), "fired_at": alert.fired_at,
            "resolved_at": alert.resolved_at, "value": alert.value,
            "inhibited": alert.inhibited, "document": alert.model_dump_json(),
        }  # fmt: skip
        try:
            with self.engine.begin() as connection:
                changed = connection.execute(
                    update(alerts).where(alerts.c.id == alert.id).values(**values)
                )
                if changed.rowcount == 0:
                    connection.execute(insert(alerts), [{"id": alert.id, **values}])
        except SQLAlchemyError as error:
            raise MonitorStoreFailed(f"monitor store {self.url}: {error}") from error

    def alerts(self, model: str | None = None) -> list[Alert]:
        query = select(alerts.c.document).order_by(alerts.c.fired_at)
        if model is not None:
            query = query.where(alerts.c.model == model)
        with self.engine.connect() as connection:
            return [Alert.model_validate_json(d) for d in connection.execute(query).scalars()]

    def _execute(self, statement: Any, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        try:
            with self.engine.begin() as connection:
                connection.execute(statement, rows)
        except SQLAlchemyError as error:
            raise MonitorStoreFailed(f"monitor store {self.url}: {error}") from error

    def close(self) -> None:
        self.engine.dispose()


def _sketch_row(sketch: Sketch) -> dict[str, Any]:
    return {"at": sketch.ended, "model": sketch.model, "version": sketch.version,
            "source": sketch.source, "rows": sketch.rows,
            "sketch": sketch.model_dump_json()}  # fmt: skip


def _claim(connection: Connection, keys: list[str]) -> set[str]:
    if not keys:
        return set()
    query = select(received.c.key).where(received.c.key.in_(keys))
    fresh = set(keys) - set(connection.execute(query).scalars())
    if fresh:
        connection.execute(insert(received), [{"key": key} for key in fresh])
    return fresh


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _sqlite_pragmas(connection: object, _: object) -> None:
    cursor = connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
