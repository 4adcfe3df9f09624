"""`feedsmith store copy`: a whole store, with its history, aliases, fingerprints, ledger and
deliveries, from one database into a new one, on either engine (SQLite to PostgreSQL when
moving to several machines, and back). Rows are copied as they are, so ids, the ledger and the
next build's output stay the same."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

from feedsmith.errors import StoreError
from feedsmith.store.engines import exclusive, open_database
from feedsmith.store.schema import TABLES

if TYPE_CHECKING:
    from feedsmith.config import StoreConfig
    from feedsmith.store.database import Database


def copy_store(source: StoreConfig, target: StoreConfig, wait: float) -> dict[str, int]:
    """Copy every table of `source` into `target`, which must hold no store yet, in one
    transaction: a failed copy leaves the target as it was (a new SQLite file is removed). Both
    stores' locks are held, so no build changes either meanwhile. Returns rows per table."""
    new_file = target.path if target.path is not None and not target.path.exists() else None
    try:
        with ExitStack() as stack:
            stack.enter_context(exclusive(source, wait))
            stack.enter_context(exclusive(target, wait))
            reading = stack.enter_context(open_database(source, create=False))
            writing = stack.enter_context(open_database(target))
            return _copy(reading, writing)
    except BaseException:
        if new_file is not None:
            _remove_sqlite(new_file)
        raise


def _copy(source: Database, target: Database) -> dict[str, int]:
    copied: dict[str, int] = {}
    with source.transaction(), target.transaction():
        held = [table for table, _ in TABLES
                if target.execute(f"SELECT EXISTS (SELECT 1 FROM {table})").fetchone()[0]]
        if held:
            raise StoreError(f"{target.where}: already holds a feedsmith store (rows in "
                             f"{', '.join(held)}); copy only into a new, empty store: feedsmith "
                             "never overwrites one")
        for table, key in TABLES:
            rows = source.execute(f"SELECT * FROM {table} ORDER BY {key}")
            columns = ", ".join(column[0] for column in rows.description)
            values = rows.fetchall()
            if values:
                marks = ", ".join("?" * len(values[0]))
                target.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", values)
            copied[table] = len(values)
        for table, count in copied.items():
            landed = target.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            if landed != count:  # never expected: then nothing is committed
                raise StoreError(f"{target.where}: {table} holds {landed} rows after copying "
                                 f"{count}; nothing was copied")
    return copied


def _remove_sqlite(path: Path) -> None:
    for leftover in (path, *(path.with_name(path.name + s) for s in ("-wal", "-shm", ".lock"))):
        leftover.unlink(missing_ok=True)
