"""Work done in a forked child process, its results streamed back in order: how a build uses the
second core. (Threads do not: the GIL hand-offs around every SQLite step made a threaded cold
build slower, 12.3 s against 10.1, measured.) POSIX only, as the store's lock is.

The child is a copy of the parent at the fork. It closes every file the parent had open (the
store, its lock) but the pipe, sends each result pickled through the pipe, and leaves with
`os._exit`, so no finalizer of the parent's objects runs in it. A full pipe makes it wait: it
runs about one result ahead of the parent. If the parent dies, its next write fails and it stops.
A child may open the store itself only when the parent had no connection open at the fork
(SQLite's rule): `pipeline` forks the page renderer between two connections.
"""

from __future__ import annotations

import os
import pickle
import signal
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Generic, Self, TypeVar

T = TypeVar("T")


class ChildFailed(RuntimeError):
    """The child process raised (the message holds its traceback) or died."""


class InChild(Generic[T]):
    """`with InChild(produce) as results:` forks at once; iterating `results` gives what
    `produce()` yields in the child. Leaving the block early stops the child."""

    def __init__(self, produce: Callable[[], Iterator[T]]) -> None:
        read_end, write_end = os.pipe()
        self._pid = os.fork()
        if self._pid == 0:
            _child(produce, write_end)  # never returns
        os.close(write_end)
        self._results = os.fdopen(read_end, "rb")
        self._finished = False

    def __enter__(self) -> Self:
        return self

    def __iter__(self) -> Iterator[T]:
        while True:
            try:
                ok, value = pickle.load(self._results)
            except EOFError:
                self._finished = True
                return
            if not ok:
                raise ChildFailed(f"a build worker process failed:\n{value}")
            yield value

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._results.close()
        if not self._finished:  # the caller stopped early, or the child failed: stop it
            os.kill(self._pid, signal.SIGKILL)
        _, status = os.waitpid(self._pid, 0)
        if kind is None and os.waitstatus_to_exitcode(status) != 0:
            raise ChildFailed(f"a build worker process died (wait status {status})")


def _child(produce: Callable[[], Iterator[object]], write_end: int) -> None:
    code = 0
    try:
        os.closerange(3, write_end)
        os.closerange(write_end + 1, os.sysconf("SC_OPEN_MAX"))
        with os.fdopen(write_end, "wb") as out:
            try:
                for result in produce():
                    pickle.dump((True, result), out, protocol=pickle.HIGHEST_PROTOCOL)
                    out.flush()
            except Exception:  # noqa: BLE001 (any bug: the parent raises it, with this traceback)
                import traceback

                pickle.dump((False, traceback.format_exc()), out)
                code = 1
    except BaseException:  # noqa: BLE001 (the parent went away: a broken pipe; or a signal)
        code = 1
    finally:
        os._exit(code)
