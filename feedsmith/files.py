"""Writing published files: whole or not at all, and not at all when nothing changed.

A reader or web server never sees a half-written feed (temp file in the same folder, fsync,
rename), and an unchanged file keeps its bytes and mtime, so HTTP caches and rsync stay quiet.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from feedsmith.errors import OutputError

TEMP_SUFFIX = ".feedsmith-tmp"
_NEW_FILE_MODE = 0o644  # published files are for the web server to read


def write_if_changed(path: Path, data: bytes) -> bool:
    """Atomically replace `path` with `data` unless it already holds exactly that; True if written."""
    try:
        if path.read_bytes() == data:
            return False
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        mode = _NEW_FILE_MODE
    except OSError as exc:
        raise OutputError(f"{path}: cannot read the current file: {exc.strerror}") from None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMP_SUFFIX)
    except OSError as exc:
        raise OutputError(f"{path.parent}: cannot write here: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, mode)
        os.replace(temp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise OutputError(f"{path}: cannot write: {exc.strerror}") from None
    return True


def remove_stale_temp_files(folder: Path) -> None:
    """Delete temp files a killed run left behind (they are never anything but partial copies)."""
    for stale in folder.glob(f".*{TEMP_SUFFIX}"):
        with contextlib.suppress(OSError):
            stale.unlink()
