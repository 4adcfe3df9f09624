"""Run one build and SIGKILL it at a named point: the crash tests' stand-in for a power cut.

    python tests/killed_build.py CONFIG POINT NOW

POINT is `insert` (inside the merge transaction; `insert-slow-reads` with listings that take a
second each to parse, so the child process reading them outlives the build), `publish` (merge
committed, nothing written),
`replace-N` (just before the N-th file rename) or `published` (files written, store not told yet).
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from feedsmith import pipeline
from feedsmith.config import load_config
from feedsmith.store.merge import Merge
from feedsmith.store.queries import Store
from feedsmith.web.files import Staging


def _kill_at(owner: Any, name: str, call: int = 1, after: bool = False) -> None:
    original: Callable[..., Any] = getattr(owner, name)
    calls = 0

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == call and not after:
            os.kill(os.getpid(), signal.SIGKILL)
        result = original(*args, **kwargs)
        if calls == call and after:
            os.kill(os.getpid(), signal.SIGKILL)
        return result

    setattr(owner, name, wrapper)


if __name__ == "__main__":
    config_path, point, now = Path(sys.argv[1]), sys.argv[2], datetime.fromisoformat(sys.argv[3])
    if point.startswith("insert"):
        _kill_at(Merge, "_insert", after=True)
        if point == "insert-slow-reads":
            from feedsmith.sources import listing

            parse = listing.parse_listing

            def slow(*args: Any, **kwargs: Any) -> Any:
                time.sleep(1)
                return parse(*args, **kwargs)

            listing.parse_listing = slow
    elif point.startswith("stage-"):  # files staged as temp files, none renamed yet
        _kill_at(Staging, "add", int(point.removeprefix("stage-")))
    elif point.startswith("replace-"):
        _kill_at(os, "replace", int(point.removeprefix("replace-")))
    elif point == "published":
        _kill_at(Store, "mark_published")
    pipeline.build(load_config(config_path), now)
    sys.exit("the build finished: the kill point was never reached")
