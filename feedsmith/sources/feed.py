"""Existing RSS/Atom feeds as sources, read with feedparser, so a partial feed can be merged,
re-categorised and carried into the digest. A feed whose DTD declares anything (entities above
all: expansion bombs, external files) is refused before feedparser sees it, wherever in the
document the declaration stands: real feeds have no use for one. A bare DOCTYPE naming an
external DTD (RSS 0.91 feeds have one) is harmless: it is never loaded."""

from __future__ import annotations

import calendar
import codecs
import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import feedparser
import lxml.html
from lxml import etree

from feedsmith.cleantext import clean, html_text
from feedsmith.errors import EmptyListing, Problem, SourceError
from feedsmith.sources.item import ListedItem

_DECLARATION = re.compile(r"<!(ENTITY|ELEMENT|ATTLIST|NOTATION)\b", re.IGNORECASE)


def _declares_anything(body: bytes) -> bool:
    """Whether the document's DTD declares entities (or anything else), read by a parser that
    loads and expands nothing, and, for documents it cannot parse, by a scan of the whole text."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             huge_tree=False)
    try:
        dtd = etree.fromstring(body, parser).getroottree().docinfo.internalDTD
    except (etree.XMLSyntaxError, ValueError):
        dtd = None  # not well-formed: the scan below still sees any declaration
    else:
        if dtd is None:
            return False  # no DOCTYPE at all: nothing declared (and "<!ENTITY" in text is text)
        if list(dtd.entities()) or list(dtd.elements()):
            return True
    utf16 = body.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    text = body.decode("utf-16" if utf16 else "latin-1", errors="replace")
    return _DECLARATION.search(text) is not None


def read_feed(body: bytes, url: str, zone: ZoneInfo,
              content_type: str = "") -> tuple[list[ListedItem], list[Problem]]:
    """The items of an RSS, Atom or JSON Feed document, each with the id its feed gives it."""
    if body.lstrip()[:1] == b"{":
        from feedsmith.sources.jsonfeed import read_json_feed

        return read_json_feed(body, url, zone)
    if _declares_anything(body):
        raise SourceError(f"{url}: not a usable RSS/Atom feed (its DTD declares entities or "
                          "other things, which feeds have no use for; refused as unsafe)")
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type  # its charset counts (RFC 7303)
    parsed = feedparser.parse(body, sanitize_html=True, resolve_relative_uris=True,
                              response_headers=headers)
    if not parsed.entries:
        reason = parsed.get("bozo_exception") or "no entries"
        raise EmptyListing(f"{url}: not a usable RSS/Atom feed ({reason})")
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
        image, image_alt = _picture(entry)
        summary = html_text(entry.get("summary", ""))
        items.append(ListedItem(line=number, title=title, day=day, category=category or None,
                                summary="" if summary == title else summary,
                                link=entry.get("link", ""), image=image, image_alt=image_alt,
                                guid=entry.get("id") or ""))
    return items, problems


def _picture(entry: Any) -> tuple[str, str]:
    """An entry's picture: media:thumbnail, an image media:content, an image enclosure, or the
    first <img> of its content or summary (URLs made absolute by feedparser)."""
    declared = _declared_picture(entry)
    if declared:
        return declared, ""
    for fragment in [*(c.get("value", "") for c in entry.get("content") or []),
                     entry.get("summary", "")]:
        if "<img" in fragment:
            image = next(lxml.html.fragment_fromstring(fragment, create_parent="div").iter("img"),
                         None)
            if image is not None and image.get("src"):
                return str(image.get("src")), clean(image.get("alt", ""))
    return "", ""


def _declared_picture(entry: Any) -> str:
    """The URL of a picture the feed declares for the entry (Media RSS, an enclosure), or ""."""
    thumbnails = [m.get("url") for m in entry.get("media_thumbnail") or []]
    media = [m.get("url") for m in entry.get("media_content") or []
             if (m.get("medium") or (m.get("type") or "").split("/")[0]) == "image"]
    enclosures = [e.get("href") for e in entry.get("enclosures") or []
                  if (e.get("type") or "").startswith("image/")]
    return str(next((url for url in [*thumbnails, *media, *enclosures] if url), ""))
