"""The canonical encoding of a chained row: the exact bytes its hash covers.

A row's hash is computed when it is written and again when `verify` reads it back, so the
encoding must come out the same after the round trip through any database: datetimes as
UTC with microseconds whatever the driver hands back (SQLite returns naive datetimes,
PostgreSQL aware ones in the session's zone), floats by `repr` (exact for an IEEE double),
integers and strings as themselves. Each value is length-prefixed, so nothing is escaped:
a JSON encoding of the same row cost three times as much, most of it escaping the quotes of
the features. The encoding names the table and includes `seq`, so a row copied into
another table or moved along its chain no longer matches. `normalise` runs before a row is
inserted, so what is stored is exactly what was hashed: a non-finite float is refused
there (SQLite would store NaN as NULL).
"""

import hashlib
import math
import operator
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from sqlalchemy import DateTime, Float, Integer, Table

from readiness.audit.tables import ROW_HASH
from readiness.errors import AuditStoreFailed

GENESIS = "0" * 64
"""The hash before a chain's first row."""


class Kind(Enum):
    TEXT = "text"
    INTEGER = "integer"
    FLOAT = "float"
    DATETIME = "datetime"


class RowCodec:
    """Normalises, encodes and hashes the rows of one chained table."""

    def __init__(self, table: Table) -> None:
        self.table = table.name
        self.columns = [(c.name, _kind(c.type)) for c in table.columns if c.name != ROW_HASH]
        self._texts = [(name, _TEXT[kind]) for name, kind in self.columns]

    def normalise(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """The values to insert: one per column (absent ones NULL), in their stored form."""
        out: dict[str, Any] = {}
        for name, kind in self.columns:
            value = row.get(name)
            if value is not None:
                try:
                    value = _NORMALISE[kind](value)
                except (TypeError, ValueError) as error:
                    raise AuditStoreFailed(f"{self.table}.{name}: {error}") from error
            out[name] = value
        return out

    def encode(self, row: Mapping[Any, Any]) -> bytes:
        """The canonical bytes of a normalised row, or of the same row read back: each value
        as its text with its length before it (`-` for NULL), so nothing needs escaping."""
        parts = [self.table]
        for name, text in self._texts:
            value = row[name]
            if value is None:
                parts.append("-")
            else:
                value = text(value)
                parts.append(f"{len(value)}:{value}")
        return "|".join(parts).encode()

    def digest(self, previous: str, row: Mapping[Any, Any]) -> str:
        """sha256(previous row's hash || this row's canonical encoding), hex."""
        return hashlib.sha256(previous.encode("ascii") + self.encode(row)).hexdigest()


def _kind(column_type: object) -> Kind:
    if isinstance(column_type, DateTime):
        return Kind.DATETIME
    if isinstance(column_type, Float):
        return Kind.FLOAT
    if isinstance(column_type, Integer):
        return Kind.INTEGER
    return Kind.TEXT


def utc(value: datetime) -> datetime:
    """Aware, in UTC; a naive value was written in UTC (SQLite drops the zone)."""
    if not isinstance(value, datetime):
        raise TypeError(f"expected a datetime, got {type(value).__name__}")
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def _utc_text(value: datetime) -> str:
    """Naive values were written in UTC (SQLite drops the zone on the way in)."""
    naive = value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    return naive.isoformat(timespec="microseconds") + "Z"


def _finite(value: object) -> float:
    number = float(value)  # type: ignore[arg-type]
    if not math.isfinite(number):
        raise ValueError(f"{number} is not a finite number")
    return number


def _integer(value: Any) -> int:
    if isinstance(value, bool):
        raise TypeError("expected an integer, got bool")
    return operator.index(value)  # numpy integers too; floats refused


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


_NORMALISE = {Kind.DATETIME: utc, Kind.FLOAT: _finite, Kind.INTEGER: _integer, Kind.TEXT: _text}
_TEXT: dict[Kind, Callable[[Any], str]] = {
    Kind.DATETIME: _utc_text,
    Kind.FLOAT: lambda value: repr(float(value)),
    Kind.INTEGER: lambda value: str(int(value)),
    Kind.TEXT: str,
}
