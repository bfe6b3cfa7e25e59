"""The device's outbox: a durable, bounded store-and-forward buffer of telemetry.

A device keeps producing telemetry (predictions, drift sketches) while its link to the
cloud is down; the outbox holds it until the forwarder has sent it and acknowledges it.
It lives in SQLite in WAL mode with `synchronous=NORMAL`: a committed append survives a
crash of the device process (SIGKILL included), since the commit is in the WAL file the
next open replays; only an operating-system crash or power loss may lose the last commits.

The buffer is bounded: a device has a fixed disk, and an outage can outlast it. When an
append would take it over `capacity` records, the oldest records of the least valuable
kind go first: every kind not named in `keep_longest` (predictions, one per request, are
plentiful) oldest first, then the kinds of `keep_longest` from the last named to the
first (a sketch summarises many requests, so it is kept longest). Nothing is dropped
silently: each drop is counted per kind, in the same transaction, in a persistent table,
so that `appended_total() == forwarded + sum(dropped().values()) + depth()` always holds.

One connection serves every thread of the device, guarded by a lock.
"""

import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from readiness.errors import InvalidInput, OperationFailed

SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS records_by_kind ON records (kind, seq);
CREATE TABLE IF NOT EXISTS dropped (kind TEXT PRIMARY KEY, count INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS totals (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""
"""AUTOINCREMENT (not a plain rowid) so that a seq is never handed out twice, even once
the newest records were acknowledged and the file reopened: the cloud deduplicates by
(device, seq)."""

BUSY_TIMEOUT_S = 5.0


@dataclass(frozen=True, slots=True)
class OutboxRecord:
    seq: int
    kind: str
    payload: str
    at: float
    """When it was appended (Unix time, seconds)."""


class Outbox:
    def __init__(
        self, path: Path, capacity: int, keep_longest: Sequence[str] = ("sketch",)
    ) -> None:
        if capacity < 1:
            raise InvalidInput(f"outbox capacity must be at least 1, not {capacity}")
        self.path = path
        self.capacity = capacity
        self.keep_longest = tuple(keep_longest)
        self._lock = threading.Lock()
        self._connection = _open(path)

    def append(self, kind: str, payloads: Sequence[str]) -> list[int]:
        """Append one record per payload, all in one transaction, and return their seqs;
        then drop what exceeds the capacity (possibly some of these very records)."""
        if not kind:
            raise InvalidInput("outbox record kind must not be empty")
        at = time.time()
        with self._transaction() as cursor:
            seqs = []
            for payload in payloads:
                cursor.execute(
                    "INSERT INTO records (kind, payload, at) VALUES (?, ?, ?)", (kind, payload, at)
                )
                seqs.append(int(cursor.lastrowid or 0))
            cursor.execute(
                "INSERT INTO totals (name, value) VALUES ('appended', ?) "
                "ON CONFLICT (name) DO UPDATE SET value = value + excluded.value",
                (len(payloads),),
            )
            self._drop_excess(cursor)
        return seqs

    def pending(self, limit: int) -> list[OutboxRecord]:
        """The oldest `limit` records not yet acknowledged, oldest first."""
        if limit < 1:
            raise InvalidInput(f"outbox pending limit must be at least 1, not {limit}")
        with self._transaction(write=False) as cursor:
            rows = cursor.execute(
                "SELECT seq, kind, payload, at FROM records ORDER BY seq LIMIT ?", (limit,)
            ).fetchall()
        return [OutboxRecord(seq, kind, payload, at) for seq, kind, payload, at in rows]

    def acknowledge(self, seqs: Iterable[int]) -> int:
        """Delete the records the cloud has confirmed; return how many were still here (a
        seq acknowledged twice, or dropped meanwhile, is not counted)."""
        unique = [(seq,) for seq in set(seqs)]
        with self._transaction() as cursor:
            before = self._connection.total_changes
            cursor.executemany("DELETE FROM records WHERE seq = ?", unique)
            return self._connection.total_changes - before

    def depth(self) -> int:
        return self._scalar("SELECT COUNT(*) FROM records")

    def dropped(self) -> dict[str, int]:
        """How many records of each kind were ever dropped for want of room."""
        with self._transaction(write=False) as cursor:
            rows = cursor.execute("SELECT kind, count FROM dropped ORDER BY kind").fetchall()
        return {kind: count for kind, count in rows}

    def appended_total(self) -> int:
        """How many records were ever appended, over every run of the device."""
        return self._scalar("SELECT COALESCE(SUM(value), 0) FROM totals WHERE name = 'appended'")

    def close(self) -> None:
        with self._lock:
            self._connection.close()

    def _drop_excess(self, cursor: sqlite3.Cursor) -> None:
        excess = cursor.execute("SELECT COUNT(*) FROM records").fetchone()[0] - self.capacity
        if excess <= 0:
            return
        marks = ", ".join("?" * len(self.keep_longest))
        tiers = [(f"kind NOT IN ({marks})", self.keep_longest)]
        tiers += [("kind = ?", (kind,)) for kind in reversed(self.keep_longest)]
        for condition, arguments in tiers:
            victims = cursor.execute(
                f"SELECT seq, kind FROM records WHERE {condition} ORDER BY seq LIMIT ?",
                (*arguments, excess),
            ).fetchall()
            cursor.executemany("DELETE FROM records WHERE seq = ?", [(seq,) for seq, _ in victims])
            counts: dict[str, int] = {}
            for _, kind in victims:
                counts[kind] = counts.get(kind, 0) + 1
            cursor.executemany(
                "INSERT INTO dropped (kind, count) VALUES (?, ?) "
                "ON CONFLICT (kind) DO UPDATE SET count = count + excluded.count",
                counts.items(),
            )
            excess -= len(victims)
            if excess <= 0:
                return

    def _scalar(self, query: str) -> int:
        with self._transaction(write=False) as cursor:
            return int(cursor.execute(query).fetchone()[0])

    @contextmanager
    def _transaction(self, write: bool = True) -> Iterator[sqlite3.Cursor]:
        """One transaction under the lock: committed whole, or rolled back whole. A write
        takes SQLite's write lock at once, so it never fails half-way for want of it."""
        with self._lock:
            cursor = self._connection.cursor()
            try:
                cursor.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                yield cursor
                cursor.execute("COMMIT")
            except sqlite3.Error as error:
                if self._connection.in_transaction:
                    self._connection.rollback()
                raise OperationFailed(f"outbox {self.path}: {error}") from error
            except BaseException:
                if self._connection.in_transaction:
                    self._connection.rollback()
                raise
            finally:
                cursor.close()


def _open(path: Path) -> sqlite3.Connection:
    """Open (or create) the outbox file in WAL mode with its tables."""
    try:
        connection = sqlite3.connect(
            path, timeout=BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
        )
    except sqlite3.Error as error:
        raise OperationFailed(f"outbox {path}: cannot open: {error}") from error
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.executescript(SCHEMA)
    except sqlite3.Error as error:
        connection.close()
        raise OperationFailed(f"outbox {path}: cannot open: {error}") from error
    return connection
