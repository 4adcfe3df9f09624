"""JSON Feed 1.0 and 1.1 (https://jsonfeed.org) as a source, read as RSS and Atom are: each item
with its own id, title, date, first tag, text and picture. feedparser does not read JSON Feed."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from feedsmith.cleantext import clean, html_text
from feedsmith.errors import EmptyListing, Problem, SourceError
from feedsmith.sources.item import ListedItem


def read_json_feed(body: bytes, url: str,
                   zone: ZoneInfo) -> tuple[list[ListedItem], list[Problem]]:
    try:
        document = json.loads(body)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise SourceError(f"{url}: not a usable JSON Feed ({exc})") from None
    version = document.get("version") if isinstance(document, dict) else None
    if not isinstance(version, str) or not version.startswith("https://jsonfeed.org/version/1"):
        raise SourceError(f"{url}: not a usable JSON Feed (expected an object whose \"version\" "
                          "is https://jsonfeed.org/version/1 or /1.1)")
    entries = document.get("items")
    if not isinstance(entries, list) or not entries:
        raise EmptyListing(f"{url}: not a usable JSON Feed (no items)")
    items: list[ListedItem] = []
    problems: list[Problem] = []
    for number, entry in enumerate(entries, start=1):
        where = f"{url} item {number}"
        if not isinstance(entry, dict):
            problems.append(Problem(where, "is not an object; left out"))
            continue
        title = clean(_string(entry, "title"))
        when = _moment(_string(entry, "date_published") or _string(entry, "date_modified"))
        if not title or when is None:
            what = "title" if not title else "date (RFC 3339) in date_published"
            problems.append(Problem(where, f"has no {what}; left out"))
            continue
        tags = entry.get("tags")
        category = clean(tags[0]) if isinstance(tags, list) and tags and \
            isinstance(tags[0], str) else ""
        items.append(ListedItem(
            line=number, title=title, day=when.astimezone(zone).date(),
            category=category or None, summary=_summary(entry, title),
            link=_string(entry, "url") or _string(entry, "external_url"),
            image=_string(entry, "image"), guid=_string(entry, "id")))
    return items, problems


def _string(entry: dict[str, Any], key: str) -> str:
    """A member as a string ("" when absent or not text; version 1.0 ids may be numbers)."""
    value = entry.get(key)
    if isinstance(value, bool):
        return ""
    return str(value).strip() if isinstance(value, str | int | float) else ""


def _moment(text: str) -> datetime | None:
    """An RFC 3339 date-time with its offset, or None."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _summary(entry: dict[str, Any], title: str) -> str:
    """The item's text: its summary, else its plain-text content, else its HTML content as text;
    "" for one that only repeats the title (as feeds whose items have no text do)."""
    text = clean(_string(entry, "summary") or _string(entry, "content_text"))
    if not text and (markup := _string(entry, "content_html")):
        import nh3

        text = html_text(nh3.clean(markup))
    return "" if text == title else text
