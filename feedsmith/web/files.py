"""Writing published files: whole or not at all, and not at all when nothing changed.

A reader or web server never sees a half-written feed (temp file in the same folder, fsync,
rename), and an unchanged file keeps its bytes and mtime, so HTTP caches and rsync stay quiet.
A build stages every file first and renames them into place only once all are rendered: a render
that fails leaves the published folder as it was, and the build never holds the whole site in
memory. Each temp file is fsynced by a small thread pool while rendering goes on (fsync lets go
of the GIL, and the disk takes many flushes at once faster than one after another: 650 files in
0.28 s instead of 0.50 on the bench machine); every one has reached the disk before the first
rename.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Self

from feedsmith.errors import OutputError

TEMP_SUFFIX = ".feedsmith-tmp"
_NEW_FILE_MODE = 0o644  # published files are for the web server to read
_SYNC_THREADS = 16


class Staging:
    """Files to publish under `folder`: `add` writes each changed one to a temp file beside its
    target; leaving the `with` block renames them all into place (and removes the files added
    as None), or, on an error, removes the temp files and nothing else."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.written: list[str] = []  # names, relative to the folder, in the order added
        self.unchanged: list[str] = []
        self._staged: list[tuple[str, Path]] = []
        self._gone: list[Path] = []  # published files to remove once the rest is in place
        self._syncing: list[tuple[Path, Future[None]]] = []
        self._pool: ThreadPoolExecutor | None = None

    def __enter__(self) -> Self:
        return self

    def add(self, name: str, data: bytes | None) -> None:
        path = self.folder / name
        if data is None:  # the file is not to be published any more
            if path.exists():
                self._gone.append(path)
                self.written.append(name)
            return
        try:
            if path.read_bytes() == data:
                self.unchanged.append(name)
                return
            mode = path.stat().st_mode & 0o777
        except FileNotFoundError:
            mode = _NEW_FILE_MODE
        except OSError as exc:
            raise OutputError(f"{path}: cannot read the current file: {exc.strerror}") from None
        import tempfile  # with shutil and random: loaded only by a build that writes

        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                                        suffix=TEMP_SUFFIX)
        except OSError as exc:
            raise OutputError(f"{path.parent}: cannot write here: {exc.strerror}") from None
        self._staged.append((temp, path))
        try:
            with open(fd, "wb", closefd=False) as handle:
                handle.write(data)
            os.fchmod(fd, mode)
        except OSError as exc:
            os.close(fd)
            raise OutputError(f"{path}: cannot write: {exc.strerror}") from None
        if self._pool is None:
            self._pool = ThreadPoolExecutor(_SYNC_THREADS, thread_name_prefix="fsync")
        self._syncing.append((path, self._pool.submit(_sync_and_close, fd)))
        self.written.append(name)

    def settle(self) -> None:
        """Wait until every staged file is on the disk; OutputError if one could not be."""
        syncing, self._syncing = self._syncing, []
        if self._pool is not None:
            self._pool.shutdown(wait=True)  # every fd closed, whatever happened
            self._pool = None
        for path, done in syncing:
            if (exc := done.exception()) is not None:
                reason = exc.strerror if isinstance(exc, OSError) else exc
                raise OutputError(f"{path}: cannot write: {reason}")

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if kind is not None:
            self.discard()
            return
        try:
            self.settle()
            for temp, path in self._staged:
                os.replace(temp, path)
            for path in self._gone:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
        except OutputError:
            self.discard()
            raise
        except OSError as exc:
            self.discard()
            raise OutputError(f"{self.folder}: cannot publish: {exc.strerror}") from None

    def adopt(self, other: Staging) -> None:
        """Take on files another Staging wrote and settled (in a child process): published or
        removed with these, listed after them."""
        self.written += other.written
        self.unchanged += other.unchanged
        self._staged += other._staged
        self._gone += other._gone

    def discard(self) -> None:
        with contextlib.suppress(OutputError):
            self.settle()  # no thread left writing, no file left open
        for temp, _ in self._staged:
            with contextlib.suppress(OSError):
                os.unlink(temp)


def _sync_and_close(fd: int) -> None:
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_if_changed(path: Path, data: bytes) -> bool:
    """Atomically replace `path` with `data` unless it already holds exactly that; True if written."""
    with Staging(path.parent) as staging:
        staging.add(path.name, data)
    return bool(staging.written)


def assets(folder: Path | None) -> Iterator[tuple[str, bytes]]:
    """The files of [output] assets (pictures), under the names they have in that folder: they
    are published as they are."""
    if folder is None:
        return
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            yield path.relative_to(folder).as_posix(), path.read_bytes()


def remove_stale_temp_files(folder: Path) -> None:
    """Delete temp files a killed run left behind (they are never anything but partial copies)."""
    for stale in folder.rglob(f".*{TEMP_SUFFIX}"):
        with contextlib.suppress(OSError):
            stale.unlink()
