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


ENTRY_COLUMNS = EntryRow._fields
ENTRY_SELECT = ", ".join(ENTRY_COLUMNS)
_WIDTH = len(ENTRY_COLUMNS)


def named(columns: Sequence[str], row: Sequence[Any]) -> dict[str, Any]:
    """A row as column name -> value, for a select that listed `columns`."""
    return dict(zip(columns, row, strict=True))


def entry_from_row(row: Sequence[Any], zone: ZoneInfo) -> Entry:
    """An Entry from a row selected with `ENTRY_SELECT` (its first columns, if more follow);
    its permalink follows from its id and listed day. (Read through `EntryRow`, by name, at the
    cost of a tuple: a cold build reads every entry back for the archive.)"""
    column = EntryRow._make(row[:_WIDTH])
    moment = from_utc_text(column.published, zone)
    return Entry(id=column.id, title=column.title, category=column.category, published=moment,
                 updated=(moment if column.updated == column.published
                          else from_utc_text(column.updated, zone)),
                 summary=column.summary, link=column.link, source=column.source,
                 origin=column.origin, language=column.language,
                 home=permalink(column.id, column.day), image=column.image,
                 image_alt=column.image_alt, title_derived=bool(column.title_derived))


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
