"""The memory of feedsmith: every entry ever seen, which listing files were read, what is unpublished.

Its tables live in the state database (see `feedsmith.schema`) beside the config. Feeds are written from here, not from the listings, so
a feed keeps its history after the listing page has moved on. Why an item is "new": its id (or an
alias of it, see `feedsmith.identity` and `_find_corrections`) is not in `entries` yet.

Crash safety rests on `pending_feeds`: a merge records the feeds it made stale in the same
transaction as the entries, and they are cleared only after those feeds were written. A build
killed anywhere leaves either the old state or a new state whose unwritten feeds the next build
writes.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from feedsmith.database import Database, from_utc_text, utc_text
from feedsmith.entry import Entry, day_offsets
from feedsmith.feeds import Feed
from feedsmith.identity import ALL, category_slug, content_hash, corrected, permalink

ENTRY_COLUMNS = ("id, title, category, published, updated, summary, link, source, origin, "
                 "language, day, image, image_alt")
_ENTRY_WIDTH = 13  # columns in ENTRY_COLUMNS
_Row = tuple[str, str, str, str]  # a stored entry's content_hash, title, category_slug and day
_CHUNK = 900  # stays under SQLite's limit of host parameters per statement


@dataclass(slots=True)
class MergeResult:
    """What one build's harvest did to the store."""

    new: int = 0
    changed: int = 0
    corrected: int = 0  # new ids recognised as corrected titles of stored entries
    seen: int = 0
    stale_feeds: set[str] = field(default_factory=set)
    stale_months: set[str] = field(default_factory=set)  # "YYYY-MM" archive pages to rewrite


@dataclass(frozen=True, slots=True)
class ListedEntry:
    """A stored entry with what explains its place in the feeds."""

    entry: Entry
    rank_in_all: int  # 1 = newest; in the feed of everything while <= max_entries
    rank_in_category: int
    first_seen: datetime
    last_seen: datetime


class Store:
    """The store's tables of an open database; every method runs in its own transaction."""

    def __init__(self, database: Database) -> None:
        self._db = database.connection
        self.transaction = database.transaction

    # --- listing files -------------------------------------------------------------------------

    def file_fingerprints(self) -> dict[str, str]:
        return dict(self._db.execute("SELECT path, fingerprint FROM listing_files"))

    # --- merging a harvest ---------------------------------------------------------------------

    def merge(self, entries: Sequence[Entry], fingerprints: dict[str, str], now: datetime,
              validators: dict[str, tuple[str, str]] | None = None) -> MergeResult:
        """Add new entries, refresh seen ones, record edits; all in one transaction."""
        result = MergeResult()
        stamp = utc_text(now)
        with self.transaction():
            stored, aliases = self._known(entries)
            fresh, edits, seen = _classify(entries, stored, aliases)
            corrections = self._find_corrections(
                fresh, {entry.id for entry in entries} | set(aliases.values()))
            fresh = [entry for entry in fresh if entry.id not in corrections]
            edits += self._adopt_corrections(corrections, entries, stored)
            self._apply_edits(edits, stored, now, result)
            self._insert(fresh, stamp, result)
            self._mark_seen(seen, stamp)
            self._remember_reads(fingerprints, validators or {}, stamp)
            if result.stale_feeds:
                result.stale_feeds.add(ALL)
            self._db.executemany("INSERT OR IGNORE INTO pending_feeds VALUES (?)",
                                 [(slug,) for slug in sorted(result.stale_feeds)])
            self._db.executemany("INSERT OR IGNORE INTO pending_months VALUES (?)",
                                 [(month,) for month in sorted(result.stale_months)])
            result.seen, result.corrected = len(seen), len(corrections)
        return result

    def _known(self, entries: Sequence[Entry]) -> tuple[dict[str, _Row], dict[str, str]]:
        """The stored rows the harvest's ids and aliases point to, and which harvested ids are
        aliases of stored entries (recording new ones: a link id for an entry stored under its
        title id)."""
        stored = self._stored_rows(i for entry in entries for i in (entry.id, *entry.aliases))
        aliases = self._aliases(e.id for e in entries if e.id not in stored)
        for entry in entries:
            if entry.id not in stored and entry.id not in aliases:
                known = next((a for a in entry.aliases if a in stored), None)
                if known is not None:
                    aliases[entry.id] = known
                    self._db.execute("INSERT INTO aliases VALUES (?, ?)", (entry.id, known))
        stored.update(self._stored_rows(aliases.values()))
        return stored, aliases

    def _adopt_corrections(self, corrections: dict[str, str], entries: Sequence[Entry],
                           stored: dict[str, _Row]) -> list[tuple[str, Entry]]:
        """Record corrected titles as aliases of their entries; the edits they make."""
        for alias, stored_id in corrections.items():
            self._db.execute("INSERT INTO aliases (alias, entry_id) VALUES (?, ?)",
                             (alias, stored_id))
            stored[stored_id] = self._stored_rows([stored_id])[stored_id]
        return [(corrections[entry.id], entry) for entry in entries if entry.id in corrections]

    def _mark_seen(self, ids: list[str], stamp: str) -> None:
        for chunk in _chunks(ids):
            self._db.execute(f"UPDATE entries SET last_seen = ? WHERE id IN ({_marks(chunk)})",
                             (stamp, *chunk))

    def _remember_reads(self, fingerprints: dict[str, str],
                        validators: dict[str, tuple[str, str]], stamp: str) -> None:
        """What was read, so that an unchanged file or page is not parsed again."""
        self._db.executemany("INSERT OR REPLACE INTO listing_files VALUES (?, ?, ?)",
                             [(path, print_, stamp) for path, print_ in fingerprints.items()])
        self._db.executemany("INSERT OR REPLACE INTO http_validators VALUES (?, ?, ?)",
                             [(url, etag, modified)
                              for url, (etag, modified) in validators.items()])

    def _stored_rows(self, ids: Iterable[str]) -> dict[str, _Row]:
        """id -> (content_hash, title, category_slug, day) for those ids that are stored."""
        rows: dict[str, _Row] = {}
        for chunk in _chunks(list(dict.fromkeys(ids))):
            query = (f"SELECT id, content_hash, title, category_slug, day FROM entries "
                     f"WHERE id IN ({_marks(chunk)})")
            rows.update((row[0], row[1:]) for row in self._db.execute(query, chunk))
        return rows

    def _aliases(self, ids: Iterable[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for chunk in _chunks(list(ids)):
            query = f"SELECT alias, entry_id FROM aliases WHERE alias IN ({_marks(chunk)})"
            found.update(self._db.execute(query, chunk))
        return found

    def _find_corrections(self, fresh: list[Entry], harvested: set[str]) -> dict[str, str]:
        """New ids that are stored entries with a corrected title: new id -> stored id.

        The rule: same listed day, same category, same summary and link, the same numbers in the
        title, and title keys at least 90 % alike; the stored entry must not itself be on the
        listings now (two titles listed side by side are two items).
        """
        alike: dict[tuple[str, str, str], list[tuple[str, str]]] = {}
        for chunk in _chunks(sorted({entry.day.isoformat() for entry in fresh})):
            rows = self._db.execute(
                f"SELECT day, category_slug, content_hash, id, title FROM entries "
                f"WHERE day IN ({_marks(chunk)}) ORDER BY id", chunk)
            for day, slug, digest, stored_id, title in rows:
                if stored_id not in harvested:
                    alike.setdefault((day, slug, digest), []).append((stored_id, title))
        corrections: dict[str, str] = {}
        for entry in fresh:
            group = (entry.day.isoformat(), category_slug(entry.category), content_hash(entry))
            candidates = [c for c in alike.get(group, []) if c[0] not in corrections.values()]
            if candidates and (match := corrected(entry.title, candidates)):
                corrections[entry.id] = match
        return corrections

    def _apply_edits(self, edits: list[tuple[str, Entry]], stored: dict[str, _Row],
                     now: datetime, result: MergeResult) -> None:
        # Edits of one build get distinct `updated` times, a microsecond apart, in id order.
        for offset, (target, entry) in enumerate(sorted(edits, key=lambda edit: edit[0])):
            slug = category_slug(entry.category)
            self._db.execute(
                "UPDATE entries SET title = ?, category = ?, category_slug = ?, summary = ?, "
                "link = ?, content_hash = ?, updated = ?, last_seen = ?, origin = ?, image = ?, "
                "image_alt = ? WHERE id = ?",
                (entry.title, entry.category, slug, entry.summary, entry.link,
                 content_hash(entry), utc_text(now + timedelta(microseconds=offset)), utc_text(now),
                 entry.origin, entry.image, entry.image_alt, target))
            result.stale_feeds |= {stored[target][2], slug}
            result.stale_months.add(stored[target][3][:7])
            result.changed += 1

    def _insert(self, fresh: list[Entry], stamp: str, result: MergeResult) -> None:
        if not fresh:
            return
        days = sorted({entry.day.isoformat() for entry in fresh})
        used_seconds: dict[date, int] = {}
        for chunk in _chunks(days):  # only the days that get entries: no scan of the store
            used_seconds.update(
                (date.fromisoformat(day), second) for day, second in self._db.execute(
                    f"SELECT day, MAX(tiebreak) FROM entries WHERE day IN ({_marks(chunk)}) "
                    f"GROUP BY day", chunk))
        rows = []
        for entry, offset in zip(fresh, day_offsets(fresh, used_seconds), strict=True):
            slug = category_slug(entry.category)
            moment = utc_text(entry.published + timedelta(seconds=offset))
            rows.append((entry.id, entry.source, entry.category, slug, entry.title, entry.summary,
                         entry.link, entry.day.isoformat(), offset, moment, moment,
                         content_hash(entry), stamp, stamp, entry.origin, entry.language,
                         entry.image, entry.image_alt))
            result.stale_feeds.add(slug)
            result.stale_months.add(entry.day.isoformat()[:7])
        self._db.executemany(f"INSERT INTO entries VALUES ({_marks(rows[0])})", rows)
        added = Counter(entry.day.isoformat()[:7] for entry in fresh)
        self._db.executemany(
            "INSERT INTO month_counts VALUES (?, ?) ON CONFLICT (month) DO UPDATE SET "
            "entries = entries + excluded.entries", sorted(added.items()))
        result.new += len(rows)

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
        query = (f"SELECT {ENTRY_COLUMNS} FROM entries WHERE day >= ? AND day < ? "
                 f"ORDER BY published DESC, id DESC")
        rows = self._db.execute(query, (f"{month}-01", f"{month}-32"))
        return [entry_from_row(row, zone) for row in rows]

    def count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM entries").fetchone()[0])

    def categories(self) -> list[str]:
        """Every category name the store holds, alphabetically."""
        names = [c for (c,) in self._db.execute("SELECT DISTINCT category FROM entries")]
        return sorted(names, key=str.casefold)

    def feed_slugs(self) -> list[str]:
        return [s for (s,) in self._db.execute("SELECT DISTINCT category_slug FROM entries")]

    def feeds(self, zone: ZoneInfo, max_entries: int) -> list[Feed]:
        """The feed of everything, then each category's (by name), each with its newest entries."""
        totals = dict(self._db.execute(
            "SELECT category_slug, COUNT(*) FROM entries GROUP BY category_slug"))
        everything = self._newest("1 = 1", (), zone, max_entries)
        by_category = []
        for slug, total in totals.items():
            newest = self._newest("category_slug = ?", (slug,), zone, max_entries)
            by_category.append(Feed(slug, newest[0].category, newest, total))
        by_category.sort(key=lambda feed: (feed.category or "").casefold())
        return [Feed(ALL, None, everything, sum(totals.values())), *by_category]

    def _newest(self, where: str, params: tuple[str, ...], zone: ZoneInfo,
                limit: int) -> tuple[Entry, ...]:
        query = (f"SELECT {ENTRY_COLUMNS} FROM entries WHERE {where} "
                 f"ORDER BY published DESC, id DESC LIMIT ?")
        return tuple(entry_from_row(row, zone) for row in self._db.execute(query, (*params, limit)))

    def entries(self, zone: ZoneInfo, category: str | None = None,
                month: str | None = None) -> list[ListedEntry]:
        """Stored entries newest first, with their feed ranks: what `feedsmith entries` shows.

        `category` matches by slug (any spelling works); `month` is "YYYY-MM" in the site's zone.
        """
        query = f"""
            SELECT {ENTRY_COLUMNS},
                   ROW_NUMBER() OVER (ORDER BY published DESC, id DESC),
                   ROW_NUMBER() OVER (PARTITION BY category_slug ORDER BY published DESC, id DESC),
                   first_seen, last_seen, category_slug
            FROM entries ORDER BY published DESC, id DESC"""
        wanted_slug = category_slug(category) if category else None
        listed = []
        for row in self._db.execute(query):
            entry = entry_from_row(row[:_ENTRY_WIDTH], zone)
            ranks, seen, slug = row[_ENTRY_WIDTH:_ENTRY_WIDTH + 2], row[-3:-1], row[-1]
            if wanted_slug not in (None, slug):
                continue
            if month and entry.published.strftime("%Y-%m") != month:
                continue
            listed.append(ListedEntry(entry, *ranks, *(from_utc_text(t, zone) for t in seen)))
        return listed

    # --- after publishing ----------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def http_validators(self) -> dict[str, tuple[str, str]]:
        rows = self._db.execute("SELECT url, etag, last_modified FROM http_validators")
        return {url: (etag, modified) for url, etag, modified in rows}

    def record_health(self, names: Iterable[str], failed: dict[str, str], now: datetime) -> None:
        """Count each source's failed builds in a row (0 again once it is read)."""
        with self.transaction() as db:
            for name in names:
                if name in failed:
                    db.execute(
                        "INSERT INTO source_health VALUES (?, 1, ?, ?) ON CONFLICT (name) DO "
                        "UPDATE SET failures_in_row = failures_in_row + 1, last_error = "
                        "excluded.last_error, changed_at = excluded.changed_at",
                        (name, failed[name], utc_text(now)))
                else:
                    db.execute("DELETE FROM source_health WHERE name = ?", (name,))

    def source_health(self) -> dict[str, tuple[int, str]]:
        """name -> (failed builds in a row, the last error), for failing sources only."""
        rows = self._db.execute("SELECT name, failures_in_row, last_error FROM source_health")
        return {name: (count, error) for name, count, error in rows}

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

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
            db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", [
                ("render_fingerprint", render_fingerprint),
                ("published_feeds", json.dumps(sorted(slugs))),
                ("published_months", json.dumps(sorted(months)))])

def _classify(entries: Sequence[Entry], stored: dict[str, _Row], aliases: dict[str, str]
              ) -> tuple[list[Entry], list[tuple[str, Entry]], list[str]]:
    """The harvest as new entries, edits of stored ones (stored id, entry), and ids seen again
    unchanged."""
    fresh: list[Entry] = []
    edits: list[tuple[str, Entry]] = []
    seen: list[str] = []
    for entry in entries:
        target = entry.id if entry.id in stored else aliases.get(entry.id)
        if target is None:
            fresh.append(entry)
        elif stored[target][0] != content_hash(entry) or stored[target][1] != entry.title:
            edits.append((target, entry))
        else:
            seen.append(target)
    return fresh, edits, seen


def entry_from_row(row: Sequence[str], zone: ZoneInfo) -> Entry:
    """An Entry from a row selected with `ENTRY_COLUMNS`."""
    (entry_id, title, category, published, updated, summary, link, source, origin, lang,
     day, image, image_alt) = row[:_ENTRY_WIDTH]
    return Entry(id=entry_id, title=title, category=category,
                 published=from_utc_text(published, zone), updated=from_utc_text(updated, zone),
                 summary=summary, link=link, source=source, origin=origin, language=lang,
                 home=permalink(entry_id, day), image=image, image_alt=image_alt)


def _marks(values: Sequence[object]) -> str:
    return ", ".join("?" * len(values))


def _chunks(values: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start:start + _CHUNK]
