"""Entries <-> rows of the `entries` table, column by name: the one module that knows which
column holds which field of an `Entry`.

A new column is a migration in `schema`, a field of `EntryRow` (if entries are read from it)
and of `NewEntryRow` (if a new entry gives it). Selects and inserts name their columns from
those fields; nothing depends on the order in which the schema happens to declare them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from feedsmith.entry import Entry
from feedsmith.identity import category_slug, content_hash, permalink
from feedsmith.store.database import from_utc_text, utc_text


class EntryRow(NamedTuple):
    """The columns an Entry is read from, by name, in the order `ENTRY_SELECT` selects them."""

    id: str
    title: str
    category: str
    published: str  # UTC text, see `feedsmith.store.database.utc_text`
    updated: str
    summary: str
    link: str
    source: str
    origin: str
    language: str
    day: str  # the listed day, YYYY-MM-DD
    image: str
    image_alt: str
    title_derived: int  # 0 or 1
    # What the item's own page gave (the `articles` table; NULL when it was not followed)
    content: str | None
    teaser: str | None
    lead_image: str | None
    lead_image_alt: str | None
    page_published: str | None  # UTC text, or ""
    page_modified: str | None
    author: str | None


ENTRY_COLUMNS = EntryRow._fields
_LISTED = ENTRY_COLUMNS[:ENTRY_COLUMNS.index("content")]
ENTRY_SELECT = ", ".join(ENTRY_COLUMNS)
# Where entries are read from: each with what its followed page gave, if any (the articles'
# column names are their own, so `ENTRY_SELECT` and conditions need no table names).
ENTRIES = "entries LEFT JOIN articles ON articles.url = entries.link AND articles.failure = ''"
# An entry as its listing gave it, from `entries` alone (what a merge compares and edits).
LISTED_SELECT = ", ".join(name if name in _LISTED else "NULL" for name in ENTRY_COLUMNS)
_WIDTH = len(ENTRY_COLUMNS)


def named(columns: Sequence[str], row: Sequence[Any]) -> dict[str, Any]:
    """A row as column name -> value, for a select that listed `columns`."""
    return dict(zip(columns, row, strict=True))


def entry_from_row(row: Sequence[Any], zone: ZoneInfo) -> Entry:
    """An Entry from a row selected with `ENTRY_SELECT` from `ENTRIES` (its first columns, if
    more follow); its permalink follows from its id and listed day. (Read through `EntryRow`, by
    name, at the cost of a tuple: a cold build reads every entry back for the archive.)"""
    column = EntryRow._make(row[:_WIDTH])
    moment = from_utc_text(column.published, zone)
    entry = Entry(id=column.id, title=column.title, category=column.category, published=moment,
                  updated=(moment if column.updated == column.published
                           else from_utc_text(column.updated, zone)),
                  summary=column.summary, link=column.link, source=column.source,
                  origin=column.origin, language=column.language,
                  home=permalink(column.id, column.day), image=column.image,
                  image_alt=column.image_alt, title_derived=bool(column.title_derived))
    return entry if column.content is None else _with_page(entry, column, zone)


def _with_page(entry: Entry, column: EntryRow, zone: ZoneInfo) -> Entry:
    """The entry with what its own page gave: the listing's values win where both give one,
    except the time of day, which only the page knows (if it dates the item the listed day)."""
    published, updated = entry.published, entry.updated
    if column.page_published:
        stated = from_utc_text(column.page_published, zone)
        if stated.date() == entry.day:
            published = stated
    if column.page_modified:
        updated = max(updated, from_utc_text(column.page_modified, zone))
    image, image_alt = ((entry.image, entry.image_alt) if entry.image
                        else (column.lead_image or "", column.lead_image_alt or ""))
    return entry._replace(published=published, updated=max(updated, published),
                          summary=entry.summary or column.teaser or "", image=image,
                          image_alt=image_alt, content=column.content or "",
                          author=column.author or "")


class NewEntryRow(NamedTuple):
    """A new entry's row, by column name: `INSERT_ENTRY` inserts it as it is."""

    id: str
    source: str
    category: str
    category_slug: str
    title: str
    summary: str
    link: str
    day: str  # the listed day, YYYY-MM-DD
    tiebreak: int  # seconds after the day's noon that order same-day entries
    published: str
    updated: str
    content_hash: str
    first_seen: str
    last_seen: str
    origin: str
    language: str
    image: str
    image_alt: str
    added_in: int  # the merge that added it, and the one that last saw it
    seen_in: int
    title_derived: int


def new_entry_row(entry: Entry, day: str, second: int, seen_at: str,
                  merge_number: int) -> NewEntryRow:
    """The row of a new entry: listed on `day` ("YYYY-MM-DD"), `second` seconds after its
    day's noon (see `feedsmith.entry.day_offsets`), first and last seen at `seen_at`, added and
    seen by merge number `merge_number`."""
    moment = utc_text(entry.published + timedelta(seconds=second))
    return NewEntryRow(
        id=entry.id, source=entry.source, category=entry.category,
        category_slug=category_slug(entry.category), title=entry.title, summary=entry.summary,
        link=entry.link, day=day, tiebreak=second, published=moment, updated=moment,
        content_hash=content_hash(entry), first_seen=seen_at, last_seen=seen_at,
        origin=entry.origin, language=entry.language, image=entry.image,
        image_alt=entry.image_alt, added_in=merge_number, seen_in=merge_number,
        title_derived=int(entry.title_derived))


def insert_statement(table: str, columns: Sequence[str]) -> str:
    """`INSERT INTO table (a, b) VALUES (?, ?)`: columns named, never by position."""
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


INSERT_ENTRY = insert_statement("entries", NewEntryRow._fields)
