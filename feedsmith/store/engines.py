"""Which engine a store is on, and opening it: the one place that tells an SQLite file from a
PostgreSQL server (`[store] path` or `url`). Everything past here talks to a `Database`.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from feedsmith.config import StoreConfig
    from feedsmith.store.database import Database


def open_database(store: StoreConfig | Path,
                  create: bool = True) -> AbstractContextManager[Database]:
    """Open (creating or migrating) the state database of `store` (a path means an SQLite
    file); a StoreError names the file or the database.

    With `create=False` a missing database is an error that says to build first: commands that
    only read have nothing to show without one.
    """
    if isinstance(store, Path) or not store.url:
        from feedsmith.store import sqlite

        return sqlite.open_database(_sqlite_file(store), create)
    from feedsmith.store import postgres

    return postgres.open_database(store.url, store.password_env, create)


def exclusive(store: StoreConfig | Path, wait: float) -> AbstractContextManager[None]:
    """Hold the store's lock for a whole run, waiting up to `wait` seconds.

    The rule for overlapping runs (a slow build and the next cron tick, or two machines): the
    second waits for the first, and gives up with a clear error after `wait` seconds. A killed
    run never leaves it held: it is an OS file lock for SQLite, a session's advisory lock for
    PostgreSQL (the server lets it go when the connection drops).
    """
    if isinstance(store, Path) or not store.url:
        from feedsmith.store import sqlite

        return sqlite.exclusive(_sqlite_file(store), wait)
    from feedsmith.store import postgres

    return postgres.exclusive(store.url, store.password_env, wait)


def _sqlite_file(store: StoreConfig | Path) -> Path:
    path = store if isinstance(store, Path) else store.path
    assert path is not None, "config gives a StoreConfig a path or a url"
    return path
