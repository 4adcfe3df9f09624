"""Getting a listing from the web: polite, bounded and conditional.

A configurable User-Agent; timeouts; redirects followed up to a limit; the body read up to
`max_bytes`; retries with doubling back-off on 5xx answers and connection errors, never on 4xx;
and conditional GET (If-None-Match / If-Modified-Since from the last good fetch): a 304 costs no
parsing. Only http and https URLs are ever fetched, and only those the config names (plus the
listing's own "next page" links, up to `max_pages`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from feedsmith.config import FetchConfig
from feedsmith.errors import SourceError


@dataclass(frozen=True, slots=True)
class Fetched:
    url: str  # after redirects
    body: bytes  # b"" when not modified
    content_type: str
    etag: str
    last_modified: str
    not_modified: bool = False


def client(config: FetchConfig) -> httpx.Client:
    return httpx.Client(headers={"User-Agent": config.user_agent}, timeout=config.timeout,
                        follow_redirects=True, max_redirects=config.max_redirects)


def fetch(session: httpx.Client, url: str, config: FetchConfig, source: str,
          validators: tuple[str, str] = ("", "")) -> Fetched:
    """GET `url`; SourceError (naming the source and URL) when it cannot be had."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise SourceError(f"source {source!r}: {url}: only http and https URLs are fetched")
    headers = {}
    etag, last_modified = validators
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    for attempt in range(config.retries + 1):
        if attempt:
            time.sleep(config.backoff * 2 ** (attempt - 1))
        try:
            return _get(session, url, headers, config, source)
        except _Retryable as problem:
            reason = str(problem)
    raise SourceError(f"source {source!r}: {url}: {reason} (tried {config.retries + 1} times)")


class _Retryable(Exception):
    pass


def _get(session: httpx.Client, url: str, headers: dict[str, str], config: FetchConfig,
         source: str) -> Fetched:
    try:
        with session.stream("GET", url, headers=headers) as response:
            final = str(response.url)
            if response.status_code == 304:
                return Fetched(final, b"", "", headers.get("If-None-Match", ""),
                               headers.get("If-Modified-Since", ""), not_modified=True)
            if response.status_code >= 500:
                raise _Retryable(f"server error {response.status_code}")
            if response.status_code >= 400:
                raise SourceError(f"source {source!r}: {url}: HTTP {response.status_code} "
                                  f"{response.reason_phrase} (not retried)")
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > config.max_bytes:
                    raise SourceError(f"source {source!r}: {url}: larger than "
                                      f"{config.max_bytes:,} bytes ([fetch] max_bytes)")
            return Fetched(final, bytes(body), response.headers.get("content-type", ""),
                           response.headers.get("etag", ""),
                           response.headers.get("last-modified", ""))
    except httpx.TooManyRedirects:
        raise SourceError(f"source {source!r}: {url}: more than {config.max_redirects} "
                          "redirects ([fetch] max_redirects)") from None
    except httpx.TimeoutException:
        raise _Retryable(f"no answer within {config.timeout:g} s") from None
    except httpx.TransportError as exc:
        raise _Retryable(f"cannot connect: {exc}") from None
