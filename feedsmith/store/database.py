"""What the store and the ledger talk to: an open state database (`Database`), on either
engine, and how times are written in it.

`queries`, `merge` and the newsletter's `ledger` write portable SQL (`?` placeholders, upserts
with ON CONFLICT, text compared byte by byte) and run it through a `Database`; `engines` opens
one, and each engine's module (`sqlite`, `postgres`) translates what differs and says what its
errors mean.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo


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


def utc_text(moment: datetime) -> str:
    """How the store writes times: UTC text that sorts chronologically
    ("2023-11-30T11:00:00.000000Z")."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")[:-6] + "Z"  # "+00:00" off


def from_utc_text(text: str, zone: ZoneInfo) -> datetime:
    return datetime.fromisoformat(text).astimezone(zone)  # C-fast; it reads the "Z"

