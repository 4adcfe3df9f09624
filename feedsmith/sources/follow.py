"""Following links (`follow = true`): the item pages a build is due to fetch, fetched all at
once within the request limits and robots.txt (see `feedsmith.sources.polite`), each read into
an `Article`. Which pages are due, and what is kept of them: `feedsmith.store.articles`.

Only pages within a source's allowed origins are fetched: a listing's links never make
feedsmith fetch from a host the config does not name (nor an internal one on another port).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple
from zoneinfo import ZoneInfo

from feedsmith.errors import SourceError, Unavailable
from feedsmith.sources.article import Article, read_article
from feedsmith.urls import is_http_url, origin

if TYPE_CHECKING:
    from feedsmith.sources.fetch import Web


class DuePage(NamedTuple):
    """An item page to fetch: its URL, the source that links it, and the validators of the
    copy kept (("", "") when none is)."""

    url: str
    source: str
    validators: tuple[str, str] = ("", "")


class FollowedPage(NamedTuple):
    """What fetching a due page gave: an article, "not modified" (the kept copy stands), or a
    failure; a `lasting` failure (the page is gone, refused, or not a page) is not tried again
    until the item changes or is refreshed, a passing one (no answer, a server error) at the
    next build."""

    url: str
    article: Article | None = None
    validators: tuple[str, str] = ("", "")
    not_modified: bool = False
    failure: str = ""
    lasting: bool = False


def follow_pages(due: Sequence[DuePage], allowed: dict[str, frozenset[str]], web: Web,
                 zone: ZoneInfo) -> list[FollowedPage]:
    """Each due page fetched and read (`allowed`: each source's allowed origins), in the order
    given, whatever order the fetches end in."""
    from feedsmith.sources.polite import fetching_threads, in_turns_by_host

    if not due:
        return []
    started = in_turns_by_host(due, lambda page: page.url)
    with fetching_threads(web.gate, len(started)) as workers:
        futures = {page.url: workers.submit(_follow, page, allowed.get(page.source, frozenset()),
                                            web, zone) for page in started}
        return [futures[page.url].result() for page in due]


def _follow(page: DuePage, allowed: frozenset[str], web: Web, zone: ZoneInfo) -> FollowedPage:
    if not is_http_url(page.url) or origin(page.url) not in allowed:
        return FollowedPage(page.url, failure=f"outside {', '.join(sorted(allowed))}: not "
                            "followed (add its origin to the source's allow_origins if it is "
                            "meant)", lasting=True)
    try:
        fetched = web.fetch(page.url, page.source, allowed, page.validators)
    except SourceError as failure:
        reason = str(failure).removeprefix(f"source {page.source!r}: ").removeprefix(
            f"{page.url}: ")
        return FollowedPage(page.url, failure=reason,
                            lasting=not isinstance(failure, Unavailable))
    if fetched.not_modified:
        return FollowedPage(page.url, validators=page.validators, not_modified=True)
    kind = fetched.content_type.split(";")[0].strip().lower()
    if kind not in _PAGE_TYPES and not (kind in _UNTYPED and _looks_like_html(fetched.body)):
        return FollowedPage(page.url, failure=f"not a web page ({kind or 'no type'})",
                            lasting=True)
    article = read_article(fetched.body, fetched.url, fetched.content_type, zone)
    return FollowedPage(page.url, article, (fetched.etag, fetched.last_modified))


_PAGE_TYPES = ("text/html", "application/xhtml+xml")
_UNTYPED = ("", "application/octet-stream")  # what a server says that does not know: sniffed


def _looks_like_html(body: bytes) -> bool:
    """Whether an untyped body starts as HTML does (as browsers sniff, WHATWG MIME Sniffing)."""
    start = body[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return start.startswith((b"<!doctype html", b"<html", b"<head", b"<body"))
