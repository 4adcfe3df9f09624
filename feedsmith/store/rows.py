"""Entries <-> rows of the `entries` table, column by name: the one module that knows which
column holds which field of an `Entry`.

A new column is a migration in `schema`, its name in `ENTRY_COLUMNS` (if entries are read from
it) and its value in `new_entry_row` (if a new entry gives it). Selects and inserts name their
columns; nothing depends on the order in which the schema happens to declare them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from feedsmith.entry import Entry
from feedsmith.identity import category_slug, content_hash, permalink
from feedsmith.store.database import from_utc_text, utc_text

# What an Entry is read from, in the order of `SELECT {ENTRY_SELECT}`.
ENTRY_COLUMNS = ("id", "title", "category", "published", "updated", "summary", "link", "source",
                 "origin", "language", "day", "image", "image_alt")
ENTRY_SELECT = ", ".join(ENTRY_COLUMNS)


def named(columns: Sequence[str], row: Sequence[Any]) -> dict[str, Any]:
    """A row as column name -> value, for a select that listed `columns`."""
    return dict(zip(columns, row, strict=True))


def entry_from_row(row: Sequence[Any], zone: ZoneInfo) -> Entry:
    """An Entry from a row selected with `ENTRY_SELECT` (its first columns, if more follow)."""
    return entry_from_columns(named(ENTRY_COLUMNS, row[:len(ENTRY_COLUMNS)]), zone)


def entry_from_columns(column: Mapping[str, Any], zone: ZoneInfo) -> Entry:
    """An Entry from a row's values by column name; its permalink follows from its id and day."""
    published = column["published"]
    moment = from_utc_text(published, zone)
    updated = column["updated"]
    return Entry(id=column["id"], title=column["title"], category=column["category"],
                 published=moment,
                 updated=moment if updated == published else from_utc_text(updated, zone),
                 summary=column["summary"], link=column["link"], source=column["source"],
                 origin=column["origin"], language=column["language"],
                 home=permalink(column["id"], column["day"]), image=column["image"],
                 image_alt=column["image_alt"])


def new_entry_row(entry: Entry, day: str, second: int, seen_at: str,
                  merge_number: int) -> dict[str, object]:
    """The row of a new entry: listed on `day` ("YYYY-MM-DD"), `second` seconds after its
    day's noon (see `feedsmith.entry.day_offsets`), first and last seen at `seen_at`, added and
    seen by merge number `merge_number`."""
    moment = utc_text(entry.published + timedelta(seconds=second))
    return {"id": entry.id, "source": entry.source, "category": entry.category,
            "category_slug": category_slug(entry.category), "title": entry.title,
            "summary": entry.summary, "link": entry.link, "day": day, "tiebreak": second,
            "published": moment, "updated": moment, "content_hash": content_hash(entry),
            "first_seen": seen_at, "last_seen": seen_at, "origin": entry.origin,
            "language": entry.language, "image": entry.image, "image_alt": entry.image_alt,
            "added_in": merge_number, "seen_in": merge_number}


def insert_statement(table: str, columns: Sequence[str]) -> str:
    """`INSERT INTO table (a, b) VALUES (?, ?)`: columns named, never by position."""
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
