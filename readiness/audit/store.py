"""Opening the audit store, and its two kinds of transaction.

Several processes write the same chains (the gateway, the monitors, the control plane, a
prune), so the writers of a chain must take turns, or two of them would both extend the
same head and fork it. `writing()` serialises them: on SQLite its transaction begins with
`BEGIN IMMEDIATE`, which takes the database's write lock before the head is read; on
PostgreSQL `chain.append` reads the head row `FOR UPDATE`, which holds other writers of
that chain until this transaction ends. `reading()` begins a plain deferred transaction:
one consistent snapshot (SQLite runs in WAL mode), and readers never wait for writers.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, insert, inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, SQLAlchemyError

from readiness.audit.encoding import GENESIS
from readiness.audit.tables import CHAINED, ROW_HASH, SEQ, chain_heads, metadata
from readiness.errors import AuditStoreFailed, InvalidInput

WRITE_OPTION = "audit_write"
BUSY_TIMEOUT_MS = 10_000
"""How long a SQLite writer waits for another's transaction (a prune can take seconds)."""


class AuditStore:
    """One audit store (a SQLAlchemy URL): its engine, schema and transactions.

    `create` makes the tables and chain heads that are missing (writers do); without it the
    store must already be one (readers: `verify`, `export`), and nothing is written.
    `must_exist` refuses a SQLite file that is not there instead of creating it."""

    def __init__(self, url: str, *, create: bool = True, must_exist: bool = False) -> None:
        self.url = url
        try:
            parsed = make_url(url)
        except ArgumentError as error:
            raise InvalidInput(f"audit store URL '{url}' is not a database URL") from error
        self.shown = parsed.render_as_string(hide_password=True)
        """The URL for messages: its password hidden."""
        self.sqlite = parsed.get_backend_name() == "sqlite"
        database = parsed.database or ""
        local = self.sqlite and database not in ("", ":memory:")
        if local and must_exist and not Path(database).is_file():
            raise InvalidInput(f"audit store {self.shown}: there is no file {database}")
        if local and create:
            try:
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise AuditStoreFailed(
                    f"audit store {self.shown}: {error.strerror or error}"
                ) from error
        try:
            self.engine: Engine = create_engine(url)
        except (ArgumentError, ImportError) as error:
            raise InvalidInput(f"audit store URL '{self.shown}' cannot be used: {error}") from error
        if self.sqlite:
            event.listen(self.engine, "connect", _sqlite_connect)
            event.listen(self.engine, "begin", _sqlite_begin)
        try:
            self._prepare(create)
        except SQLAlchemyError as error:
            self.engine.dispose()
            raise AuditStoreFailed(f"audit store {self.shown} cannot be opened: {error}") from error
        except (InvalidInput, AuditStoreFailed):
            self.engine.dispose()
            raise

    @contextmanager
    def writing(self) -> Iterator[Connection]:
        """A transaction that may extend chains; commits on success, rolls back on error."""
        try:
            with self.engine.connect() as connection:
                connection.execution_options(**{WRITE_OPTION: True})
                with connection.begin():
                    yield connection
        except SQLAlchemyError as error:
            raise AuditStoreFailed(f"audit store {self.shown}: {error}") from error

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        """A read-only snapshot of the store."""
        try:
            with self.engine.connect() as connection, connection.begin():
                yield connection
        except SQLAlchemyError as error:
            raise AuditStoreFailed(f"audit store {self.shown}: {error}") from error

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> "AuditStore":
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType
    ) -> None:
        self.close()

    def _prepare(self, create: bool) -> None:
        present = set(inspect(self.engine).get_table_names())
        for name in CHAINED.keys() & present:
            columns = {c["name"] for c in inspect(self.engine).get_columns(name)}
            if not {SEQ, ROW_HASH} <= columns:
                raise AuditStoreFailed(
                    f"audit store {self.shown}: table {name} predates the hash chain (no {SEQ} "
                    "column); move the old store aside to start a chained one"
                )
        if not create:
            if chain_heads.name not in present:
                raise InvalidInput(f"{self.shown} is not an audit store (it has no chain_heads)")
            return
        if not set(metadata.tables) <= present:
            try:
                metadata.create_all(self.engine)
            except SQLAlchemyError:  # another process created them first
                metadata.create_all(self.engine)
        self._seed_heads()

    def _seed_heads(self) -> None:
        """A genesis head for every chain that has none (each chain's first writer)."""
        with self.engine.connect() as connection:
            found = set(connection.execute(select(chain_heads.c.table_name)).scalars())
            connection.rollback()
        for name in CHAINED.keys() - found:
            head = {"table_name": name, "last_seq": 0, "last_hash": GENESIS,
                    "base_seq": 0, "base_hash": GENESIS}  # fmt: skip
            try:
                with self.writing() as connection:
                    connection.execute(insert(chain_heads), [head])
            except AuditStoreFailed as failed:
                if not isinstance(failed.__cause__, IntegrityError):  # a racing writer won
                    raise


def _sqlite_connect(connection: Any, _: object) -> None:
    connection.isolation_level = None  # SQLAlchemy, not the driver, says when to BEGIN
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    immediate = connection.get_execution_options().get(WRITE_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
