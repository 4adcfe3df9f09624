"""Getting a listing from the web: polite, bounded, conditional, and only where it was sent.

A configurable User-Agent; an overall deadline per request (`timeout`: connect to last byte, so a
server trickling a byte at a time cannot hold the build and its lock); the body read up to
`max_bytes`; retries with doubling back-off on 5xx answers and connection errors, never on 4xx;
a 429 or 503 with Retry-After is retried after the wait it asks for (one longer than `timeout`
fails the source at once: the next build tries again);
conditional GET (If-None-Match / If-Modified-Since from the last good fetch): a 304 costs no
parsing. Redirects are followed by hand, up to `max_redirects`, and only within the allowed
origins (the configured URL's scheme, host and port, plus the source's `allow_origins`): a
listing never pulls in another host's page, nor an internal one on another port.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Collection, Iterator
from typing import Any, NamedTuple, Self
from urllib.parse import urljoin

import httpx

from feedsmith.config import FetchConfig
from feedsmith.errors import SourceError, Unavailable
from feedsmith.sources.polite import Gate, Robots
from feedsmith.urls import is_http_url, origin

_REDIRECTS = (301, 302, 303, 307, 308)


class Fetched(NamedTuple):
    url: str  # after redirects
    body: bytes
    content_type: str
    etag: str
    last_modified: str
    not_modified: bool = False


# A 304: nothing but that; the asker keeps its page and the validators it asked with.
_NOT_MODIFIED = Fetched("", b"", "", "", "", not_modified=True)


class Web(NamedTuple):
    """A build's way to the web, shared by its listing pages and item pages: one client, each
    host's robots.txt read once (None: `[fetch] robots = false`), and the request limits."""

    client: httpx.Client
    robots: Robots | None
    gate: Gate
    config: FetchConfig

    def fetch(self, url: str, source: str, allowed: Collection[str],
              validators: tuple[str, str] = ("", "")) -> Fetched:
        return fetch(self.client, url, self.config, source, allowed, validators, self.robots,
                     self.gate)


@contextlib.contextmanager
def web_session(config: FetchConfig) -> Iterator[Web]:
    with client(config) as http:
        gate = Gate(config.concurrency, config.per_host)
        yield Web(http, Robots(http, config, gate) if config.robots else None, gate, config)


def client(config: FetchConfig) -> httpx.Client:
    # No keep-alive: every request opens its own connection, which its deadline can cut.
    return httpx.Client(headers={"User-Agent": config.user_agent}, timeout=config.timeout,
                        follow_redirects=False,
                        limits=httpx.Limits(max_keepalive_connections=0))


def fetch(session: httpx.Client, url: str, config: FetchConfig, source: str,
          allowed: Collection[str], validators: tuple[str, str] = ("", ""),
          robots: Robots | None = None, gate: Gate | None = None) -> Fetched:
    """GET `url` (an allowed origin's, and one its host's robots.txt allows when `robots` is
    given); SourceError (naming the source and URL) when it cannot be had. `allowed` holds
    origins as `feedsmith.urls.origin` writes them."""
    _check_target(url, url, allowed, source)
    if robots is not None:
        robots.check(url, source)
    headers = {}
    etag, last_modified = validators
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    problem: _Retryable | None = None
    for attempt in range(config.retries + 1):
        if problem is not None:
            time.sleep(problem.wait or config.backoff * 2 ** (attempt - 1))
        try:
            return _follow(session, url, headers, config, source, allowed, robots,
                           gate or _UNLIMITED)
        except _Retryable as failed:
            problem = failed
    raise Unavailable(f"source {source!r}: {url}: {problem} (tried {config.retries + 1} times)")


_UNLIMITED = Gate(1_000_000, 1_000_000)  # one request at a time anyway: `init`


class _Retryable(Exception):
    """A failure worth another try: after `wait` seconds when the server said (Retry-After),
    else after the back-off."""

    def __init__(self, reason: str, wait: float = 0.0) -> None:
        super().__init__(reason)
        self.wait = wait


def _retry_after(value: str, now: float) -> float | None:
    """Seconds a Retry-After header asks for (a number, or an HTTP date), or None."""
    value = value.strip()
    if value.isdigit():
        return float(value)
    from email.utils import parsedate_to_datetime

    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - now)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _check_target(url: str, start: str, allowed: Collection[str], source: str) -> None:
    if not is_http_url(url):
        raise SourceError(f"source {source!r}: {start}: leads to {url!r}: only http and https "
                          "URLs are fetched")
    if origin(url) not in allowed:
        raise SourceError(f"source {source!r}: {start}: leads to {url}, outside "
                          f"{', '.join(sorted(allowed))}: not fetched (add its origin to the "
                          "source's allow_origins if it is meant)")


def _follow(session: httpx.Client, url: str, headers: dict[str, str], config: FetchConfig,
            source: str, allowed: Collection[str], robots: Robots | None, gate: Gate) -> Fetched:
    current = url
    for _ in range(config.max_redirects + 1):
        deadline = _Deadline(config.timeout)
        with gate.slot(current, deadline.cut), deadline:
            fetched = _get(session, current, headers, config, source, deadline)
        if isinstance(fetched, Fetched):
            return fetched
        target = urljoin(current, fetched)
        _check_target(target, url, allowed, source)
        if robots is not None:
            robots.check(target, source)
        current = target
    raise SourceError(f"source {source!r}: {url}: more than {config.max_redirects} redirects "
                      "([fetch] max_redirects)")


class _Deadline:
    """Cuts a request's connection once `seconds` have passed since it started, or at once
    when the build stops (see `Gate.stop`).

    httpx's timeouts apply to each read; this one is for the whole exchange. It learns the
    request's socket from httpcore's `trace` extension and shuts it down when time is up. Its
    timer lives no longer than the `with` block (every way out cancels it, Ctrl-C too).
    """

    def __init__(self, seconds: float) -> None:
        self.expired = False
        self._socket: socket.socket | None = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self.cut)

    def __enter__(self) -> Self:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()

    def trace(self, event: str, info: dict[str, Any]) -> None:
        if event == "connection.connect_tcp.complete":
            with self._lock:
                self._socket = info["return_value"].get_extra_info("socket")
                if self.expired:
                    self._shut()

    def cut(self) -> None:
        with self._lock:
            self.expired = True
            self._shut()

    def _shut(self) -> None:
        if self._socket is not None:
            with contextlib.suppress(OSError):
                self._socket.shutdown(socket.SHUT_RDWR)


def _get(session: httpx.Client, url: str, headers: dict[str, str], config: FetchConfig,
         source: str, deadline: _Deadline) -> Fetched | str:
    """One request: what it fetched, or the Location it redirects to."""
    try:
        return _exchange(session, url, headers, config, source, deadline)
    except httpx.InvalidURL as exc:  # httpx checks a Location before anyone may follow it
        raise SourceError(f"source {source!r}: {url}: redirects to a URL that is not a "
                          f"usable http(s) URL ({exc}): only http and https URLs are "
                          "fetched") from None
    except httpx.TransportError as exc:
        if deadline.expired or isinstance(exc, httpx.TimeoutException):
            raise _Retryable(f"no answer within {config.timeout:g} s (connect to last "
                             "byte)") from None
        raise _Retryable(f"cannot connect: {exc}") from None


def _exchange(session: httpx.Client, url: str, headers: dict[str, str], config: FetchConfig,
              source: str, deadline: _Deadline) -> Fetched | str:
    with session.stream("GET", url, headers=headers,
                        extensions={"trace": deadline.trace}) as response:
        status = response.status_code
        if status in _REDIRECTS and response.headers.get("location"):
            return str(response.headers["location"])
        if status == 304:
            if not headers:
                raise SourceError(f"source {source!r}: {url}: answered 304 Not Modified to a "
                                  "request that asked for no comparison; not taken as unchanged")
            return _NOT_MODIFIED
        if status in (429, 503) and "retry-after" in response.headers:
            asked = _retry_after(response.headers["retry-after"], time.time())
            if asked is not None and asked > config.timeout:
                raise Unavailable(f"source {source!r}: {url}: HTTP {status} asks to wait "
                                  f"{asked:g} s, longer than [fetch] timeout ({config.timeout:g} "
                                  "s); tried again next build")
            raise _Retryable(f"HTTP {status} {response.reason_phrase}", asked or 0.0)
        if status >= 500:
            raise _Retryable(f"server error {status}")
        if status >= 400 or status in _REDIRECTS:
            raise SourceError(f"source {source!r}: {url}: HTTP {status} "
                              f"{response.reason_phrase} (not retried)")
        body = bytearray()
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > config.max_bytes:
                raise SourceError(f"source {source!r}: {url}: larger than "
                                  f"{config.max_bytes:,} bytes ([fetch] max_bytes)")
        if deadline.expired:  # the last bytes raced the cut
            raise _Retryable(f"no answer within {config.timeout:g} s (connect to last byte)")
        return Fetched(url, bytes(body), response.headers.get("content-type", ""),
                       response.headers.get("etag", ""), response.headers.get("last-modified", ""))
