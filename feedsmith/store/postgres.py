"""The PostgreSQL engine, for stores that several machines share (`[store] url`), through
psycopg 3 (`pip install 'feedsmith[postgres]'`).

What differs from SQLite, all of it here: placeholders (`?` becomes `%s`), types in the
migrations (BLOB is BYTEA; TEXT compares byte by byte, COLLATE "C", so ids and times sort as they
do in SQLite whatever the database's locale), the schema version (a one-row table instead of
`PRAGMA user_version`), and the locks: a session advisory lock for a whole run, honouring
`--wait` (the server drops it with the connection, so a killed worker never leaves it held), and
a transaction's advisory lock for migrating.
"""

from __future__ import annotations

import functools
import os
import re
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from feedsmith.errors import StoreError
from feedsmith.store.database import Rows
from feedsmith.store.schema import check_version, migrate, statements

if TYPE_CHECKING:
    import psycopg

# Advisory lock keys (advisory locks belong to one database): a whole run, and a migration.
RUN_LOCK = int.from_bytes(b"feedsmth")
MIGRATION_LOCK = RUN_LOCK + 1


class PostgresDatabase:
    """An open PostgreSQL store (see `feedsmith.store.database.Database`)."""

    engine = "PostgreSQL"

    def __init__(self, connection: psycopg.Connection[Any], where: str) -> None:
        self.connection = connection
        self.where = where

    def execute(self, sql: str, parameters: Sequence[object] = (), /) -> Rows:
        return self.connection.execute(_dialect(sql), parameters)

    def executemany(self, sql: str, rows: Iterable[Sequence[object]], /) -> None:
        with self.connection.cursor() as cursor:
            cursor.executemany(_dialect(sql), rows)

    @contextmanager
    def transaction(self) -> Iterator[PostgresDatabase]:
        with self.connection.transaction():
            yield self

    def schema_version(self) -> int:
        if self.execute("SELECT to_regclass('feedsmith_schema')").fetchone()[0] is None:
            return 0
        return int(self.execute("SELECT version FROM feedsmith_schema").fetchone()[0])

    def has_other_tables(self) -> bool:
        return bool(self.execute("SELECT EXISTS (SELECT 1 FROM pg_tables "
                                 "WHERE schemaname = current_schema())").fetchone()[0])

    @contextmanager
    def migrating(self) -> Iterator[None]:
        with self.transaction():
            self.execute("SELECT pg_advisory_xact_lock(?)", (MIGRATION_LOCK,))
            yield

    def run_script(self, script: str) -> None:
        for statement in statements(script):
            self.connection.execute(_ddl(statement))

    def set_schema_version(self, version: int) -> None:
        self.execute("CREATE TABLE IF NOT EXISTS feedsmith_schema (version INTEGER NOT NULL)")
        self.execute("DELETE FROM feedsmith_schema")
        self.execute("INSERT INTO feedsmith_schema (version) VALUES (?)", (version,))


@functools.lru_cache(maxsize=256)
def _dialect(sql: str) -> str:
    """Portable SQL in psycopg's placeholders."""
    return sql.replace("%", "%%").replace("?", "%s")


def _ddl(statement: str) -> str:
    """A migration's statement in PostgreSQL's types (it has no parameters, so psycopg sends
    it as it is)."""
    statement = re.sub(r"\bTEXT\b", 'TEXT COLLATE "C"', statement)
    return re.sub(r"\bBLOB\b", "BYTEA", statement)


def _connect(url: str, password_env: str) -> psycopg.Connection[Any]:
    try:
        import psycopg
    except ImportError:
        raise StoreError(f"{url}: a PostgreSQL store needs psycopg: pip install "
                         "'feedsmith[postgres]'") from None
    extra: dict[str, Any] = {}
    if password_env:
        if password_env not in os.environ:
            raise StoreError(f"{url}: the environment variable {password_env} ([store] "
                             "password_env) is not set")
        extra["password"] = os.environ[password_env]
    try:
        return psycopg.connect(url, autocommit=True, application_name="feedsmith", **extra)
    except psycopg.Error as exc:
        raise StoreError(f"{url}: cannot connect to the PostgreSQL server: "
                         f"{_first_line(exc)}") from exc


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


@contextmanager
def open_database(url: str, password_env: str, create: bool) -> Iterator[PostgresDatabase]:
    """The PostgreSQL store at `url`, its schema created or migrated (the database itself is the
    operator's: feedsmith creates tables in it, never the database)."""
    import psycopg

    connection = _connect(url, password_env)
    try:
        database = PostgresDatabase(connection, url)
        if not create and check_version(database) == 0:
            raise StoreError(f"{url}: no state database yet (no feedsmith tables in this "
                             "database): run `feedsmith build` first")
        migrate(database)
        yield database
    except psycopg.Error as exc:
        raise _store_error(url, exc) from exc
    finally:
        connection.close()


def _store_error(url: str, exc: Exception) -> StoreError:
    import psycopg

    if isinstance(exc, psycopg.OperationalError):
        return StoreError(f"{url}: lost the connection to the PostgreSQL server "
                          f"({_first_line(exc)}); the unfinished transaction was rolled back: "
                          "run again")
    return StoreError(f"{url}: the database failed: {_first_line(exc)}")


@contextmanager
def exclusive(url: str, password_env: str, wait: float) -> Iterator[None]:
    """Hold the store's advisory lock for a whole run (see `feedsmith.store.database.exclusive`)."""
    import psycopg

    connection = _connect(url, password_env)
    try:
        deadline = time.monotonic() + wait
        while not connection.execute("SELECT pg_try_advisory_lock(%s)",
                                     (RUN_LOCK,)).fetchone()[0]:  # type: ignore[index]
            if time.monotonic() >= deadline:
                raise StoreError(f"{url}: another feedsmith run is still working on this store "
                                 f"(waited {wait:g} s); try again later or give more --wait")
            time.sleep(0.05)
        yield
    except psycopg.Error as exc:
        raise _store_error(url, exc) from exc
    finally:
        connection.close()  # releases the lock
