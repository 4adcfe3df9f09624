"""Existing RSS/Atom feeds as sources, read with feedparser, so a partial feed can be merged,
re-categorised and carried into the digest. A feed that declares XML entities is refused before
parsing: no expansion bomb or external entity ever reaches a parser."""

from __future__ import annotations

import calendar
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import feedparser
import lxml.html

from feedsmith.cleantext import clean
from feedsmith.errors import Problem, SourceError
from feedsmith.sources.text import ListedItem

_DECLARES_ENTITIES = re.compile(rb"<!ENTITY", re.IGNORECASE)


def read_feed(body: bytes, url: str, zone: ZoneInfo) -> tuple[list[ListedItem], list[Problem]]:
    if _DECLARES_ENTITIES.search(body[:65536]):
        # Real feeds never declare entities; hostile ones do (expansion bombs, external files).
        # feedparser would fall back to its lenient parser and still make entries of it.
        raise SourceError(f"{url}: not a usable RSS/Atom feed (it declares XML entities, which "
                          "feeds have no use for; refused as unsafe)")
    parsed = feedparser.parse(body, sanitize_html=True, resolve_relative_uris=True,
                              response_headers={"content-location": url})
    if not parsed.entries:
        reason = parsed.get("bozo_exception") or "no entries"
        raise SourceError(f"{url}: not a usable RSS/Atom feed ({reason})")
    items: list[ListedItem] = []
    problems: list[Problem] = []
    for number, entry in enumerate(parsed.entries, start=1):
        title = clean(entry.get("title", ""))
        when = entry.get("published_parsed") or entry.get("updated_parsed")
        if not title or when is None:
            what = "title" if not title else "date"
            problems.append(Problem(f"{url} entry {number}", f"has no {what}; left out"))
            continue
        day = datetime.fromtimestamp(calendar.timegm(when), UTC).astimezone(zone).date()
        tags = entry.get("tags") or []
        category = clean(tags[0].get("term") or tags[0].get("label") or "") if tags else ""
        items.append(ListedItem(line=number, title=title, day=day, category=category or None,
                                summary=_text(entry.get("summary", "")),
                                link=entry.get("link", "")))
    return items, problems


def _text(fragment: str) -> str:
    """A (sanitised) HTML summary as plain text: entries carry text, as listings do."""
    if not fragment.strip():
        return ""
    return clean(lxml.html.fragment_fromstring(fragment, create_parent="div").text_content())
