"""Writing published files: whole or not at all, and not at all when nothing changed.

A reader or web server never sees a half-written feed (temp file in the same folder, fsync,
rename), and an unchanged file keeps its bytes and mtime, so HTTP caches and rsync stay quiet.
A build stages every file first and renames them into place only once all are rendered: a render
that fails leaves the published folder as it was, and the build never holds the whole site in
memory.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from types import TracebackType
from typing import Self

from feedsmith.errors import OutputError

TEMP_SUFFIX = ".feedsmith-tmp"
_NEW_FILE_MODE = 0o644  # published files are for the web server to read


class Staging:
    """Files to publish under `folder`: `add` writes each changed one to a temp file beside its
    target; leaving the `with` block renames them all into place, or, on an error, removes them."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.written: list[str] = []  # names, relative to the folder, in the order added
        self.unchanged: list[str] = []
        self._staged: list[tuple[str, Path]] = []

    def __enter__(self) -> Self:
        return self

    def add(self, name: str, data: bytes) -> None:
        path = self.folder / name
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
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temp, mode)
        except OSError as exc:
            raise OutputError(f"{path}: cannot write: {exc.strerror}") from None
        self.written.append(name)

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if kind is not None:
            self.discard()
            return
        try:
            for temp, path in self._staged:
                os.replace(temp, path)
        except OSError as exc:
            self.discard()
            raise OutputError(f"{self.folder}: cannot publish: {exc.strerror}") from None

    def adopt(self, other: Staging) -> None:
        """Take on files another Staging wrote (in a child process): published or removed with
        these, listed after them."""
        self.written += other.written
        self.unchanged += other.unchanged
        self._staged += other._staged

    def discard(self) -> None:
        for temp, _ in self._staged:
            with contextlib.suppress(OSError):
                os.unlink(temp)


def write_if_changed(path: Path, data: bytes) -> bool:
    """Atomically replace `path` with `data` unless it already holds exactly that; True if written."""
    with Staging(path.parent) as staging:
        staging.add(path.name, data)
    return bool(staging.written)


def remove_stale_temp_files(folder: Path) -> None:
    """Delete temp files a killed run left behind (they are never anything but partial copies)."""
    for stale in folder.rglob(f".*{TEMP_SUFFIX}"):
        with contextlib.suppress(OSError):
            stale.unlink()
