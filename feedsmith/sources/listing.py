"""One listing file or page: which format it is in, and the reader that turns it into items.
Each reader loads only when a file in its format changed: an unchanged build imports none."""

from __future__ import annotations

from feedsmith.config import SiteConfig, SourceConfig
from feedsmith.errors import EmptyListing, Problem
from feedsmith.sources.item import ListedItem


def detect_format(raw: bytes, content_type: str = "") -> str:
    """"feed" (RSS, Atom or JSON Feed), "html" or "text", from the media type or, failing that,
    the first bytes."""
    kind = content_type.split(";")[0].strip().lower()
    head = raw[:1024].lstrip().lower()
    if kind in ("application/rss+xml", "application/atom+xml", "application/feed+json") \
            or b"<rss" in head or b"<feed" in head or b"<rdf:rdf" in head \
            or head.startswith(b"{") and b"jsonfeed.org/version/" in head:
        return "feed"
    if kind in ("text/html", "application/xhtml+xml") or head.startswith(b"<!doctype html") \
            or b"<html" in head:
        return "html"
    return "text"


def parse_listing(raw: bytes, origin: str, source: SourceConfig, site: SiteConfig,
                  content_type: str = "") -> tuple[list[ListedItem], list[Problem], str | None]:
    """Items of one file or page in the source's format, the items left out, and the next page."""
    from feedsmith.sources.decoding import decode_html, decode_text

    kind = source.format if source.format != "auto" else detect_format(raw, content_type)
    following: str | None = None
    if kind == "feed":
        from feedsmith.sources.feed import read_feed

        items, problems = read_feed(raw, origin, site.timezone, content_type)
        if source.replaces_categories:  # `category` puts the whole feed in one
            items = [item._replace(category=None) for item in items]
    elif kind == "html":
        from feedsmith.sources.html import read_html_listing

        items, problems, following = read_html_listing(decode_html(raw, content_type), origin,
                                                       source.language, dict(source.selectors))
    else:
        from feedsmith.sources.text import read_text_listing

        items, problems = read_text_listing(decode_text(raw, origin, content_type), origin,
                                            source.language)
    if not items:
        raise EmptyListing(
            f"{origin}: no listing item found: expected numbered items (\"1. News\") each with a "
            f"title and a date line such as \"01 December 2023\""
            + (f" ({len(problems)} item(s) left out, e.g. {problems[0]})" if problems else ""))
    return items, problems, following
