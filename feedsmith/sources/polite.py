"""Fetching politely: how many requests may be open at once (`Gate`), and robots.txt
(`Robots`, RFC 9309), read once per host per build and honoured for every listing page
feedsmith fetches by itself (`[fetch] robots`, on by default).

Rules are matched by the product token of `[fetch] user_agent` ("feedsmith"), with Protego, the
parser Scrapy uses. As the RFC says: a robots.txt that is missing or refused (4xx) allows
everything; one that cannot be had (5xx, no connection, no answer in time) disallows everything
on that host until the next build. `init` is run by a person and does not ask.
"""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from itertools import chain, zip_longest
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from feedsmith.errors import SourceError, Unavailable

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    from feedsmith.config import FetchConfig

_UNREACHABLE = object()  # a host whose robots.txt could not be had this build
_LARGEST = 500 * 1024  # bytes of a robots.txt read, as RFC 9309 asks parsers to take at least


class Stopped(Exception):
    """The build is stopping (Ctrl-C, or a failure elsewhere): no request starts any more."""


class Gate:
    """How many requests may be open at once: `concurrency` in all, `per_host` to one host
    (host and port). A request takes both slots at once, so a busy host never holds slots
    that requests to other hosts could use.

    `stop` ends it all: requests waiting for a slot give up (Stopped) and those under way are
    cut, so that a stopped build does not wait for every fetch to run its course first.
    """

    def __init__(self, concurrency: int, per_host: int) -> None:
        self._free = concurrency
        self._per_host = per_host
        self._open: Counter[str] = Counter()  # requests open, by host
        self._cuts: list[Callable[[], None]] = []  # how to cut each request under way
        self._changed = threading.Condition()
        self._stopped = False

    @contextlib.contextmanager
    def slot(self, url: str, cut: Callable[[], None] = lambda: None) -> Iterator[None]:
        """Hold a slot for a request to `url`; `cut` ends that request early, if `stop` comes."""
        host = urlsplit(url).netloc.lower()
        with self._changed:
            self._changed.wait_for(lambda: self._stopped or (
                self._free > 0 and self._open[host] < self._per_host))
            if self._stopped:
                raise Stopped(url)
            self._free -= 1
            self._open[host] += 1
            self._cuts.append(cut)
        try:
            yield
        finally:
            with self._changed:
                self._free += 1
                self._open[host] -= 1
                self._cuts.remove(cut)
                self._changed.notify_all()

    def stop(self) -> None:
        """No slot is given any more, and every request holding one is cut (a page in a browser
        has nothing to cut: it ends within its own deadline)."""
        with self._changed:
            self._stopped = True
            self._changed.notify_all()
            cuts = list(self._cuts)
        for cut in cuts:
            cut()


# Threads fetching at once for a build. A worker waiting for a busy host's slot holds no
# request slot: enough workers that the other hosts' requests are under way meanwhile.
MOST_WORKERS = 64
_Job = TypeVar("_Job")


@contextlib.contextmanager
def fetching_threads(gate: Gate, jobs: int) -> Iterator[ThreadPoolExecutor]:
    """Threads for `jobs` fetches at once through `gate`. Left by an exception (Ctrl-C, a
    failure), it stops the gate first: the threads end at once instead of fetching on."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(min(jobs, MOST_WORKERS)) as workers:
        try:
            yield workers
        except BaseException:
            gate.stop()
            raise


def in_turns_by_host(jobs: Sequence[_Job], url: Callable[[_Job], str]) -> list[_Job]:
    """Jobs in turns by host (a1, b1, a2, b2, ...): the order their fetches start in, so that
    while one host's slots are taken, the others' requests are under way."""
    by_host: dict[str, list[_Job]] = {}
    for job in jobs:
        by_host.setdefault(urlsplit(url(job)).netloc.lower(), []).append(job)
    return [job for job in chain.from_iterable(zip_longest(*by_host.values())) if job is not None]


class Robots:
    """The robots.txt of each host this build fetches from, asked for once."""

    def __init__(self, session: httpx.Client, config: FetchConfig, gate: Gate) -> None:
        self._session = session
        self._config = config
        self._gate = gate
        # "scheme://host:port" -> Protego, None (all allowed), or UNREACHABLE (nothing is)
        self._rules: dict[str, Any] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def check(self, url: str, source: str) -> None:
        """SourceError when the host's robots.txt disallows `url` for feedsmith."""
        parts = urlsplit(url)
        root = f"{parts.scheme}://{parts.netloc}"
        with self._lock:
            lock = self._locks.setdefault(root, threading.Lock())
        with lock:  # one fetch per host, however many sources ask at once
            if root not in self._rules:
                self._rules[root] = self._read(root)
        rules = self._rules[root]
        if rules is _UNREACHABLE:
            raise Unavailable(f"source {source!r}: {url}: {root}/robots.txt could not be had, "
                              "which RFC 9309 reads as disallowing everything: not fetched")
        if rules is not None and not rules.can_fetch(url, self._config.user_agent):
            raise SourceError(f"source {source!r}: {url}: {root}/robots.txt disallows it for "
                              f"{self._config.user_agent!r}: not fetched")

    def _read(self, root: str) -> Any:
        import httpx
        from protego import Protego

        try:
            with self._gate.slot(root):
                answer = self._session.get(f"{root}/robots.txt", follow_redirects=True)
        except httpx.HTTPError:
            return _UNREACHABLE  # assume nothing may be fetched (RFC 9309, 2.3.1.4)
        if answer.status_code >= 500:
            return _UNREACHABLE
        if answer.status_code >= 400:
            return None  # "unavailable": everything may be fetched (2.3.1.3)
        return Protego.parse(answer.content[:_LARGEST].decode("utf-8", errors="replace"))
