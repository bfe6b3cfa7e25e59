"""Audit stores to test against: a SQLite file, and PostgreSQL where it is installed."""

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.servers import RunningServer, postgres_binaries, postgres_server

_databases = itertools.count()


@pytest.fixture(scope="session")
def postgres() -> Iterator[RunningServer]:
    """One throwaway PostgreSQL server for the session; skipped where there is none."""
    pytest.importorskip("psycopg", reason="no PostgreSQL driver (psycopg) to test with")
    if postgres_binaries() is None:
        pytest.skip("PostgreSQL is not installed here (no initdb or postgres binary)")
    with postgres_server() as running:
        yield running


def postgres_database(server: RunningServer) -> str:
    """A fresh, empty database on `server`; its SQLAlchemy URL."""
    name = f"audit_{next(_databases)}"
    admin = create_engine(
        f"postgresql+psycopg://readiness@{server.address}/postgres", isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return f"postgresql+psycopg://readiness@{server.address}/{name}"


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty audit store's URL, once per kind of database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'audit.db'}"
    return postgres_database(request.getfixturevalue("postgres"))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'audit.db'}"
