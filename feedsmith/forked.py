"""Work done in a forked child process, its results streamed back in order: how a build uses the
second core. (Threads do not: the GIL hand-offs around every SQLite step made a threaded cold
build slower, 12.3 s against 10.1, measured.) POSIX only, as the store's lock is.

The child is a copy of the parent at the fork. It closes every file the parent had open (the
store, its lock) but the pipe, sends each result pickled through the pipe, and leaves with
`os._exit`, so no finalizer of the parent's objects runs in it. A full pipe makes it wait: it
runs about one result ahead of the parent. If the parent dies, its next write fails and it stops.
"""

from __future__ import annotations

import os
import pickle
import signal
import traceback
from collections.abc import Callable, Iterator
from typing import TypeVar

T = TypeVar("T")


class ChildFailed(RuntimeError):
    """The child process raised (the message holds its traceback) or died."""


def in_child(produce: Callable[[], Iterator[T]]) -> Iterator[T]:
    """What `produce()` yields, produced in a child process while the caller works on the last
    result. An exception in the child is raised here as ChildFailed."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        _child(produce, write_end)  # never returns
    os.close(write_end)
    done = False
    try:
        with os.fdopen(read_end, "rb") as results:
            while True:
                try:
                    ok, value = pickle.load(results)
                except EOFError:
                    break
                if not ok:
                    raise ChildFailed(f"a build worker process failed:\n{value}")
                yield value
        done = True
    finally:
        if not done:  # the caller stopped early, or the child failed: do not leave it running
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise ChildFailed(f"a build worker process died (exit status {status})")


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
                pickle.dump((False, traceback.format_exc()), out)
                code = 1
    except BaseException:  # noqa: BLE001 (the parent went away: a broken pipe; or a signal)
        code = 1
    finally:
        os._exit(code)
