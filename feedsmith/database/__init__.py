"""The state database that holds the store and the ledger: opening it, its schema's migrations,
the one-run-at-a-time lock, and how times are written. The one package that knows which engine
it talks to: `sqlite` (the embedded default, a file beside the config) or `postgres` (a server
several machines share). `store` and `ledger` write portable SQL (`?` placeholders, upserts with
ON CONFLICT, text compared byte by byte) and run it through a `Database`; each engine's module
translates what differs and says what its errors mean.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol
from zoneinfo import ZoneInfo

from feedsmith.errors import StoreError
from feedsmith.schema import MIGRATIONS, SCHEMA_VERSION

if TYPE_CHECKING:
    from feedsmith.config import StoreConfig


class Rows(Protocol):
    """What a query returns, as both engines' cursors have it."""

    @property
    def description(self) -> Any:
        """A sequence per column, its name first."""
        ...

    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...
    def __iter__(self) -> Iterator[Any]: ...


class Database(Protocol):
    """An open state database. Every method of `Store` and `Ledger` runs in its own transaction."""

    engine: str  # "SQLite" or "PostgreSQL", for messages and `status`
    where: str  # the file, or the database's URL (never with a password)

    def execute(self, sql: str, parameters: Sequence[object] = (), /) -> Rows:
        """Portable SQL with `?` placeholders."""
        ...

    def executemany(self, sql: str, rows: Iterable[Sequence[object]], /) -> object: ...

    def transaction(self) -> AbstractContextManager[Database]:
        """BEGIN ... COMMIT, or ROLLBACK on any exception. Writers never overlap: a run holds
        `exclusive`, and SQLite also takes its write lock at BEGIN."""
        ...

    def schema_version(self) -> int:
        """The schema version the database holds (0 for a new one); it never writes."""
        ...

    def has_other_tables(self) -> bool:
        """Whether a database without a feedsmith schema holds tables of something else."""
        ...

    def migrating(self) -> AbstractContextManager[None]:
        """A transaction holding the lock that lets exactly one of several first runs migrate."""
        ...

    def run_script(self, script: str) -> None:
        """A migration's SQL, statement by statement, inside the current transaction."""
        ...

    def set_schema_version(self, version: int) -> None: ...


def open_database(store: StoreConfig | Path,
                  create: bool = True) -> AbstractContextManager[Database]:
    """Open (creating or migrating) the state database of `store` (a path means an SQLite
    file); a StoreError names the file or the database.

    With `create=False` a missing database is an error that says to build first: commands that
    only read have nothing to show without one.
    """
    if isinstance(store, Path) or not store.url:
        from feedsmith.database import sqlite

        return sqlite.open_database(_sqlite_file(store), create)
    from feedsmith.database import postgres

    return postgres.open_database(store.url, store.password_env, create)


def exclusive(store: StoreConfig | Path, wait: float) -> AbstractContextManager[None]:
    """Hold the store's lock for a whole run, waiting up to `wait` seconds.

    The rule for overlapping runs (a slow build and the next cron tick, or two machines): the
    second waits for the first, and gives up with a clear error after `wait` seconds. A killed
    run never leaves it held: it is an OS file lock for SQLite, a session's advisory lock for
    PostgreSQL (the server lets it go when the connection drops).
    """
    if isinstance(store, Path) or not store.url:
        from feedsmith.database import sqlite

        return sqlite.exclusive(_sqlite_file(store), wait)
    from feedsmith.database import postgres

    return postgres.exclusive(store.url, store.password_env, wait)


def _sqlite_file(store: StoreConfig | Path) -> Path:
    path = store if isinstance(store, Path) else store.path
    assert path is not None, "config gives a StoreConfig a path or a url"
    return path


def migrate(database: Database) -> None:
    """Bring a database's schema to this feedsmith's version. The version is read again once the
    migration lock is held, so several first runs at once migrate exactly once. A database of
    something else, or of a newer feedsmith, is refused and left as it is."""
    if check_version(database) == SCHEMA_VERSION:
        return
    with database.migrating():
        for number in range(check_version(database), SCHEMA_VERSION):
            step = MIGRATIONS[number]
            if callable(step):
                step(database)
            else:
                database.run_script(step)
            database.set_schema_version(number + 1)


def check_version(database: Database) -> int:
    version = database.schema_version()
    if version > SCHEMA_VERSION:
        raise StoreError(f"{database.where}: written by a newer feedsmith (schema {version}, "
                         f"this one knows {SCHEMA_VERSION}): upgrade feedsmith")
    if version == 0 and database.has_other_tables():
        raise StoreError(f"{database.where}: this {database.engine} database is not a "
                         "feedsmith store (it has other tables): check [store]; feedsmith does "
                         "not change it")
    return version


def utc_text(moment: datetime) -> str:
    """How the store writes times: UTC text that sorts chronologically
    ("2023-11-30T11:00:00.000000Z")."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")[:-6] + "Z"  # "+00:00" off


def from_utc_text(text: str, zone: ZoneInfo) -> datetime:
    return datetime.fromisoformat(text).astimezone(zone)  # C-fast; it reads the "Z"

