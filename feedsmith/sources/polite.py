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
from collections.abc import Callable, Iterator, Sequence
from itertools import chain, zip_longest
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from feedsmith.errors import SourceError, Unavailable

if TYPE_CHECKING:
    import httpx

    from feedsmith.config import FetchConfig

_UNREACHABLE = object()  # a host whose robots.txt could not be had this build
_LARGEST = 500 * 1024  # bytes of a robots.txt read, as RFC 9309 asks parsers to take at least


class Gate:
    """How many requests may be open at once: `concurrency` in all, `per_host` to one host
    (host and port). A request waits for its host's slot before taking one of the others, so a
    busy host never holds slots that requests to other hosts could use."""

    def __init__(self, concurrency: int, per_host: int) -> None:
        self._all = threading.BoundedSemaphore(concurrency)
        self._per_host = per_host
        self._hosts: dict[str, threading.BoundedSemaphore] = {}
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def slot(self, url: str) -> Iterator[None]:
        host = urlsplit(url).netloc.lower()
        with self._lock:
            own = self._hosts.setdefault(host, threading.BoundedSemaphore(self._per_host))
        with own, self._all:
            yield


# Threads fetching at once for a build. A worker waiting for a busy host's slot holds no
# request slot: enough workers that the other hosts' requests are under way meanwhile.
MOST_WORKERS = 64
_Job = TypeVar("_Job")


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
