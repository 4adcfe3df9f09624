"""The SQLite engine, feedsmith's default: a file beside the config, created, checked, migrated
and locked here, and what its errors mean.

A new file is built aside and linked into place once it holds the schema, so a file at the
configured path that is empty or not a feedsmith store never came from feedsmith: it is
refused, never reset (a reset would forget which issues were sent).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from feedsmith.errors import StoreError
from feedsmith.store.schema import check_version, migrate, statements


class SQLiteDatabase:
    """An open SQLite store (see `feedsmith.store.database.Database`): the SQL runs as written."""

    engine = "SQLite"

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self.connection = connection
        self.path = path
        self.where = str(path)
        self.execute = connection.execute
        self.executemany = connection.executemany

    @contextmanager
    def transaction(self) -> Iterator[SQLiteDatabase]:
        """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any exception."""
        self.connection.execute("BEGIN IMMEDIATE")
        try:
            yield self
        except BaseException:
            self.connection.execute("ROLLBACK")
            raise
        self.connection.execute("COMMIT")

    def schema_version(self) -> int:
        return int(self.connection.execute("PRAGMA user_version").fetchone()[0])

    def has_other_tables(self) -> bool:
        return bool(self.connection.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0])

    @contextmanager
    def migrating(self) -> Iterator[None]:
        with self.transaction():  # BEGIN IMMEDIATE takes SQLite's write lock
            yield

    def run_script(self, script: str) -> None:
        for statement in statements(script):
            self.connection.execute(statement)

    def set_schema_version(self, version: int) -> None:
        self.connection.execute(f"PRAGMA user_version = {version}")


@contextmanager
def open_database(path: Path, create: bool) -> Iterator[SQLiteDatabase]:
    """The SQLite store at `path`, created or migrated (see `feedsmith.store.database.open_database`)."""
    if not path.exists():
        if not create:
            raise StoreError(f"{path}: no state database yet: run `feedsmith build` first")
        _create(path)
    _check_is_store(path)
    try:
        connection = sqlite3.connect(path, isolation_level=None, timeout=30)
    except sqlite3.Error as exc:
        raise _store_error(path, exc) from exc
    try:
        database = SQLiteDatabase(connection, path)
        _prepare(database)
        yield database
    except sqlite3.Error as exc:
        raise _store_error(path, exc) from exc
    finally:
        connection.close()


_SQLITE_HEADER = b"SQLite format 3\x00"


def _check_is_store(path: Path) -> None:
    try:
        with path.open("rb") as handle:
            header = handle.read(len(_SQLITE_HEADER))
    except OSError as exc:
        raise StoreError(f"{path}: cannot read the state database: {exc.strerror}") from exc
    if not header:
        raise StoreError(
            f"{path}: the state database is an empty file (0 bytes), not a feedsmith store. "
            "feedsmith never resets a store, since it holds the history and the record of sent "
            "issues: restore it from a backup, or delete the empty file to start a new store.")
    if header != _SQLITE_HEADER:
        raise StoreError(
            f"{path}: not a feedsmith store (not an SQLite database): check [store] path, or "
            "restore the store from a backup; feedsmith does not overwrite it.")


def _create(path: Path) -> None:
    """A new, fully migrated store at `path`, appearing there all at once (or not at all)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        import tempfile  # only a new store needs it

        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".new")
        os.close(fd)
    except OSError as exc:
        raise StoreError(f"{path}: cannot create the state database: "
                         f"{_os_reason(exc, path.parent)}") from exc
    temp = Path(name)
    try:
        connection = sqlite3.connect(temp, isolation_level=None)
        try:
            _prepare(SQLiteDatabase(connection, temp))
        finally:
            connection.close()  # checkpoints the WAL into the file and removes it
        with temp.open("rb+") as handle:
            os.fsync(handle.fileno())
        os.link(temp, path)  # never replaces: a store another run just created wins
    except FileExistsError:
        pass
    except sqlite3.Error as exc:
        raise _store_error(path, exc) from exc
    except OSError as exc:
        raise StoreError(f"{path}: cannot create the state database: "
                         f"{_os_reason(exc, path.parent)}") from exc
    finally:
        for leftover in (temp, *(temp.with_name(temp.name + s) for s in ("-wal", "-shm"))):
            with contextlib.suppress(OSError):
                leftover.unlink()


def _os_reason(exc: OSError, where: Path) -> str:
    if exc.errno == errno.ENOSPC:
        return f"the disk holding {where} is full"
    if exc.errno == errno.EROFS:
        return f"{where} is on a read-only file system"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"permission denied for {where}"
    return exc.strerror or str(exc)


# SQLite result codes (exc.sqlite_errorcode & 0xff) that say the database itself is damaged.
_CORRUPT_CODES = {11, 26}  # SQLITE_CORRUPT, SQLITE_NOTADB
_FULL_CODE, _IOERR_CODE = 13, 10
_CANNOT_WRITE_CODES = {3, 8, 14, 23}  # SQLITE_PERM, _READONLY, _CANTOPEN, _AUTH
_BUSY_CODES = {5, 6}  # SQLITE_BUSY, _LOCKED


def _store_error(path: Path, exc: sqlite3.Error) -> StoreError:
    """What went wrong with the database, in words an operator can act on.

    Only a damaged file is called corrupt: a full disk or a read-only file, folder or file system
    says so, since "move it aside" would be the wrong advice (and would lose the ledger).
    """
    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
    if code in _CORRUPT_CODES:
        return StoreError(
            f"{path}: the state database is unreadable or corrupt ({exc}). Restore it from a "
            "backup, or move it aside to start afresh: the history beyond what the listings "
            "still show, and the record of sent issues, would be lost.")
    if code == _FULL_CODE:
        return StoreError(f"{path}: the disk is full ({exc}); nothing was changed: free some "
                          "space and run again")
    if code in _CANNOT_WRITE_CODES or code == _IOERR_CODE:
        reason = _why_not_writable(path) or (
            "input/output error: the disk may be full or failing" if code == _IOERR_CODE
            else "it cannot be opened for writing")
        return StoreError(f"{path}: cannot use the state database: {reason} ({exc}); nothing "
                          "was changed")
    if code in _BUSY_CODES:
        return StoreError(f"{path}: the state database is locked by another program ({exc}); "
                          "try again later")
    return StoreError(f"{path}: the state database failed: {exc}")


def _why_not_writable(path: Path) -> str:
    """The reason SQLite cannot write `path` (and its -wal and -shm beside it), if one shows."""
    for where in (path, path.parent):
        with contextlib.suppress(OSError):
            if os.statvfs(where).f_flag & os.ST_RDONLY:
                return f"{where} is on a read-only file system"
        if where.exists() and not os.access(where, os.W_OK):
            kind = "folder" if where.is_dir() else "file"
            return f"permission denied: the {kind} {where} is not writable by this user"
    return ""


def _prepare(database: SQLiteDatabase) -> None:
    """Settings, then migrations (see `feedsmith.store.database.migrate`)."""
    connection = database.connection
    connection.execute("PRAGMA synchronous = FULL")
    connection.execute("PRAGMA foreign_keys = ON")
    check_version(database)  # before anything writes: a foreign file stays as is
    if connection.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        connection.execute("PRAGMA journal_mode = WAL")
    migrate(database)


@contextmanager
def exclusive(path: Path, wait: float) -> Iterator[None]:
    """Hold the store's lock (`<store>.lock`, an OS file lock) for a whole run (see
    `feedsmith.store.database.exclusive`)."""
    lock_path = path.with_name(path.name + ".lock")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise StoreError(f"{lock_path}: cannot take the lock: "
                         f"{_os_reason(exc, lock_path.parent)}") from exc
    try:  # flock, as the `filelock` package does on POSIX, without its ~40 ms of imports
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise StoreError(
                        f"{lock_path}: another feedsmith run is still working on this store "
                        f"(waited {wait:g} s); try again later or give more --wait") from None
                time.sleep(0.05)
            except OSError as exc:  # a file system without locks
                raise StoreError(f"{lock_path}: cannot take the lock: {exc.strerror}") from exc
        yield
    finally:
        os.close(descriptor)  # releases the lock
