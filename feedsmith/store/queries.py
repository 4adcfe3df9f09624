"""Reading the store: which listing files were read, the entries feeds, pages and
`feedsmith entries` show, what is pending publication, and the build's own notes (meta,
validators, source health).

Feeds are written from here, not from the listings, so a feed keeps its history after the
listing page has moved on. Why an item is in the store at all: `feedsmith.store.merge`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime
from typing import NamedTuple
from zoneinfo import ZoneInfo

from feedsmith.entry import Entry
from feedsmith.identity import ALL, category_slug
from feedsmith.store.database import Database, from_utc_text
from feedsmith.store.merge import SET_META, Merge
from feedsmith.store.rows import ENTRIES, ENTRY_COLUMNS, ENTRY_SELECT, entry_from_row, named


class Newest(NamedTuple):
    """A feed's newest entries: the feed of everything (slug ALL, category None) or a
    category's (its newest entry's spelling of the name)."""

    slug: str
    category: str | None
    entries: tuple[Entry, ...]


class ListedEntry(NamedTuple):
    """A stored entry with what explains its place in the feeds."""

    entry: Entry
    rank_in_all: int  # 1 = newest; in the feed of everything while <= max_entries
    rank_in_category: int
    first_seen: datetime
    last_seen: datetime


class Store:
    """The store's tables of an open database; every method runs in its own transaction."""

    def __init__(self, database: Database) -> None:
        self._db = database
        self.transaction = database.transaction

    # --- listing files -------------------------------------------------------------------------

    def file_fingerprints(self) -> tuple[dict[str, str], dict[str, str]]:
        """What was merged, by file path or URL: its fingerprint, and the stat signature a file
        had when read (only where one was recorded)."""
        rows = self._db.execute("SELECT path, fingerprint, signature FROM listing_files").fetchall()
        return {path: print_ for path, print_, _ in rows}, {path: sig for path, _, sig in rows if sig}

    # --- merging a harvest ---------------------------------------------------------------------

    @contextmanager
    def merging(self, now: datetime) -> Iterator[Merge]:
        """One build's merge, in one transaction: feed it each file's entries with `add`. The
        transaction begins with the merge's first write: a build that reads nothing commits
        nothing here (each commit is an fsync, most of a no-change build's I/O)."""
        with ExitStack() as transaction:
            merge = Merge(self._db, now, lambda: transaction.enter_context(self.transaction()))
            yield merge
            if merge.started:
                merge.finish()

    # --- reading feeds back --------------------------------------------------------------------

    def pending_feeds(self) -> set[str]:
        return {slug for (slug,) in self._db.execute("SELECT slug FROM pending_feeds")}

    def pending_months(self) -> set[str]:
        """Archive months ("YYYY-MM") whose entries changed since their page was written."""
        return {month for (month,) in self._db.execute("SELECT month FROM pending_months")}

    def months(self) -> dict[str, int]:
        """Every month with entries ("YYYY-MM", by listed day) -> how many, oldest first."""
        return dict(self._db.execute("SELECT month, entries FROM month_counts ORDER BY month"))

    def month_entries(self, month: str, zone: ZoneInfo) -> list[Entry]:
        """The entries listed in a month ("YYYY-MM"), newest first: its archive page."""
        query = (f"SELECT {ENTRY_SELECT} FROM {ENTRIES} WHERE day >= ? AND day < ? "
                 f"ORDER BY published DESC, id DESC")
        rows = self._db.execute(query, (f"{month}-01", f"{month}-32"))
        return [entry_from_row(row, zone) for row in rows]

    def count(self) -> int:
        """Entries in the store: the sum of the month counts each merge keeps, not a scan."""
        return int(self._db.execute("SELECT COALESCE(SUM(entries), 0) FROM month_counts"
                                    ).fetchone()[0])

    def categories(self) -> list[str]:
        """Every category name the store holds, alphabetically."""
        names = [c for (c,) in self._db.execute("SELECT DISTINCT category FROM entries")]
        return sorted(names, key=str.casefold)

    def feed_slugs(self) -> list[str]:
        """Every category's slug, in byte order. A loose index scan: from one slug to the next
        in `entries_by_category`, a lookup per category on both engines, where DISTINCT or
        GROUP BY would read every entry (a build's cost would grow with the store)."""
        return [s for (s,) in self._db.execute("""
            WITH RECURSIVE slugs (slug) AS (
                SELECT MIN(category_slug) FROM entries
                UNION ALL
                SELECT (SELECT MIN(category_slug) FROM entries WHERE category_slug > slug)
                FROM slugs WHERE slug IS NOT NULL)
            SELECT slug FROM slugs WHERE slug IS NOT NULL""")]

    def newest(self, zone: ZoneInfo, max_entries: int) -> list[Newest]:
        """The feed of everything, then each category's (by name), each with its newest entries."""
        everything = self._newest("1 = 1", (), zone, max_entries)
        by_category = []
        for slug in self.feed_slugs():
            newest = self._newest("category_slug = ?", (slug,), zone, max_entries)
            by_category.append(Newest(slug, newest[0].category, newest))
        by_category.sort(key=lambda feed: (feed.category or "").casefold())
        return [Newest(ALL, None, everything), *by_category]

    def _newest(self, where: str, params: tuple[str, ...], zone: ZoneInfo,
                limit: int) -> tuple[Entry, ...]:
        query = (f"SELECT {ENTRY_SELECT} FROM {ENTRIES} WHERE {where} "
                 f"ORDER BY published DESC, id DESC LIMIT ?")
        return tuple(entry_from_row(row, zone) for row in self._db.execute(query, (*params, limit)))

    def entries(self, zone: ZoneInfo, category: str | None = None,
                month: str | None = None) -> list[ListedEntry]:
        """Stored entries newest first, with their feed ranks: what `feedsmith entries` shows.

        `category` matches by slug (any spelling works); `month` is "YYYY-MM" in the site's zone.
        """
        columns = (*ENTRY_COLUMNS, "rank_in_all", "rank_in_category", "first_seen", "last_seen",
                   "category_slug")
        query = f"""
            SELECT {ENTRY_SELECT},
                   ROW_NUMBER() OVER (ORDER BY published DESC, id DESC) AS rank_in_all,
                   ROW_NUMBER() OVER (PARTITION BY category_slug ORDER BY published DESC, id DESC)
                       AS rank_in_category,
                   first_seen, last_seen, category_slug
            FROM {ENTRIES} ORDER BY published DESC, id DESC"""
        wanted_slug = category_slug(category) if category else None
        listed = []
        for row in self._db.execute(query):
            column = named(columns, row)
            if wanted_slug not in (None, column["category_slug"]):
                continue
            entry = entry_from_row(row, zone)
            if month and entry.published.strftime("%Y-%m") != month:
                continue
            listed.append(ListedEntry(entry, column["rank_in_all"], column["rank_in_category"],
                                      from_utc_text(column["first_seen"], zone),
                                      from_utc_text(column["last_seen"], zone)))
        return listed

    # --- after publishing ----------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def http_validators(self) -> dict[str, tuple[str, str]]:
        rows = self._db.execute("SELECT url, etag, last_modified FROM http_validators")
        return {url: (etag, modified) for url, etag, modified in rows}

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as db:
            db.execute(SET_META, (key, value))

    def published_feeds(self) -> list[str]:
        """The slugs of the feeds the last publish listed (cheap: no scan of the entries)."""
        return json.loads(self.get_meta("published_feeds") or "[]")  # type: ignore[no-any-return]

    def published_months(self) -> list[str]:
        """The archive months the last publish wrote pages for."""
        return json.loads(self.get_meta("published_months") or "[]")  # type: ignore[no-any-return]

    def mark_published(self, render_fingerprint: str, slugs: list[str], months: list[str]) -> None:
        """The pending feeds and pages are written: forget them, remember how and which were
        rendered."""
        with self.transaction() as db:
            db.execute("DELETE FROM pending_feeds")
            db.execute("DELETE FROM pending_months")
            db.executemany(SET_META, [
                ("render_fingerprint", render_fingerprint),
                ("published_feeds", json.dumps(sorted(slugs))),
                ("published_months", json.dumps(sorted(months)))])
