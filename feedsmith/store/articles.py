"""The item pages kept for sources with `follow = true` (the `articles` table): which are due
to be fetched, what each gave, and the feeds and archive months a change makes stale.

A page is fetched once, for a new item; again only when its item is edited (`Merge` marks it),
`feedsmith refresh` asks, the kept copy is older than `[follow] max_age_days`, or the last
try met a passing failure (no answer, a server error) — never on every build. What a page
gave is read with its entries (`feedsmith.store.rows.ENTRIES`), never copied into them: the
listing's own values stay what a merge compares.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta

from feedsmith.identity import ALL
from feedsmith.sources.follow import DuePage, FollowedPage
from feedsmith.store.database import Database, utc_text
from feedsmith.store.rows import insert_statement

_COLUMNS = ("url", "fetched_at", "etag", "last_modified", "refresh", "failure", "content",
            "teaser", "lead_image", "lead_image_alt", "page_published", "page_modified",
            "author")
_SAVE = (insert_statement("articles", _COLUMNS) + " ON CONFLICT (url) DO UPDATE SET "
         + ", ".join(f"{name} = excluded.{name}" for name in _COLUMNS[1:]))
_WHAT_IT_GAVE = "failure, content, teaser, lead_image, lead_image_alt, page_published, " \
                "page_modified, author"


class Articles:
    """The `articles` table of an open database; each method runs in its own transaction."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def due(self, sources: Sequence[str], now: datetime, max_age_days: int,
            limit: int) -> tuple[list[DuePage], int]:
        """The item pages of `sources` to fetch now, newest items first, at most `limit`, and
        how many more are due (left for the next builds)."""
        if not sources:
            return [], 0
        marks = ", ".join("?" * len(sources))
        old = utc_text(now - timedelta(days=max_age_days)) if max_age_days else ""
        rows = self._db.execute(
            f"SELECT link, MIN(source), MAX(published), MAX(etag), MAX(last_modified) "
            f"FROM entries LEFT JOIN articles ON url = link "
            f"WHERE source IN ({marks}) AND link != '' "
            f"AND (url IS NULL OR refresh = 1 OR fetched_at < ?) "
            f"GROUP BY link ORDER BY MAX(published) DESC, link", (*sources, old)).fetchall()
        due = [DuePage(link, source, (etag or "", modified or ""))
               for link, source, _, etag, modified in rows[:limit]]
        return due, max(0, len(rows) - limit)

    def save(self, followed: Sequence[FollowedPage], now: datetime) -> int:
        """Keep what each fetch gave, and mark stale the feeds and months of the entries whose
        page changed what they show; how many pages did."""
        stamp = utc_text(now)
        changed: list[str] = []
        with self._db.transaction() as db:
            for page in followed:
                before = db.execute(f"SELECT {_WHAT_IT_GAVE} FROM articles WHERE url = ?",
                                    (page.url,)).fetchone()
                if page.not_modified or (page.failure and not page.lasting and before
                                         and not before[0]):
                    # The kept copy stands; a passing failure tries again next build.
                    db.execute("UPDATE articles SET fetched_at = ?, refresh = ? WHERE url = ?",
                               (stamp, int(bool(page.failure)), page.url))
                    continue
                row = _row(page, stamp)
                db.execute(_SAVE, row)
                if _digest(before) != _digest(row[5:]):
                    changed.append(page.url)
            for start in range(0, len(changed), 900):
                chunk = changed[start:start + 900]
                marks = ", ".join("?" * len(chunk))
                slugs = [s for (s,) in db.execute(
                    f"SELECT DISTINCT category_slug FROM entries WHERE link IN ({marks})", chunk)]
                months = [m for (m,) in db.execute(
                    f"SELECT DISTINCT substr(day, 1, 7) FROM entries WHERE link IN ({marks})",
                    chunk)]
                db.executemany("INSERT INTO pending_feeds (slug) VALUES (?) "
                               "ON CONFLICT DO NOTHING", [(s,) for s in sorted({*slugs, ALL})])
                db.executemany("INSERT INTO pending_months (month) VALUES (?) "
                               "ON CONFLICT DO NOTHING", [(m,) for m in sorted(months)])
        return len(changed)

    def refresh(self, item: str) -> tuple[str, bool] | None:
        """Have the page of `item` (an entry's id, an id it is known by, or its link) fetched
        again with the next build: its link, and whether a copy was kept; None for no such
        item."""
        with self._db.transaction() as db:
            row = db.execute(
                "SELECT link FROM entries WHERE id = ? OR id = (SELECT entry_id FROM aliases "
                "WHERE alias = ?) OR (link = ? AND link != '')", (item, item, item)).fetchone()
            if row is None:
                return None
            kept = db.execute("SELECT 1 FROM articles WHERE url = ?", (row[0],)).fetchone()
            db.execute("UPDATE articles SET refresh = 1 WHERE url = ?", (row[0],))
        return str(row[0]), kept is not None

    def counts(self) -> tuple[int, int, int]:
        """Pages kept with what they gave, kept as failed, and due to be fetched again."""
        kept, failed, again = self._db.execute(
            "SELECT COALESCE(SUM(CASE WHEN failure = '' THEN 1 ELSE 0 END), 0), "
            "COALESCE(SUM(CASE WHEN failure != '' THEN 1 ELSE 0 END), 0), "
            "COALESCE(SUM(refresh), 0) FROM articles").fetchone()
        return int(kept), int(failed), int(again)


def _row(page: FollowedPage, stamp: str) -> tuple[object, ...]:
    """The `articles` row of what a fetch gave, in `_COLUMNS` order."""
    article = page.article
    if article is None:  # a failure: kept so it is not fetched every build (unless passing)
        return (page.url, stamp, "", "", int(not page.lasting), page.failure[:1000],
                "", "", "", "", "", "", "")
    return (page.url, stamp, *page.validators, 0, "", article.content, article.teaser,
            article.image, article.image_alt,
            utc_text(article.published) if article.published else "",
            utc_text(article.modified) if article.modified else "",
            article.author)


def _digest(values: Sequence[object] | None) -> str:
    """What a row shows readers, to tell whether a fetch changed it (a failure shows nothing,
    as no row does)."""
    if values is None or values[0]:
        return ""
    return hashlib.sha256("\x1f".join(str(v) for v in values).encode()).hexdigest()
