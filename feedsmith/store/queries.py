"""The memory of feedsmith: every entry ever seen, which listing files were read, what is unpublished.

Its tables live in the state database (see `feedsmith.store.schema`) beside the config. Feeds are written from here, not from the listings, so
a feed keeps its history after the listing page has moved on. Why an item is "new": its id (or an
alias of it, see `feedsmith.identity` and `Merge`) is not in `entries` yet.

Crash safety rests on `pending_feeds`: a merge records the feeds it made stale in the same
transaction as the entries, and they are cleared only after those feeds were written. A build
killed anywhere leaves either the old state or a new state whose unwritten feeds the next build
writes.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from feedsmith.entry import Entry, day_offsets
from feedsmith.identity import ALL, category_slug, content_hash, corrected, permalink
from feedsmith.store.database import Database, from_utc_text, utc_text
from feedsmith.web.feeds import Feed

ENTRY_COLUMNS = ("id, title, category, published, updated, summary, link, source, origin, "
                 "language, day, image, image_alt")
_ENTRY_WIDTH = 13  # columns in ENTRY_COLUMNS
# A stored entry's content_hash, title, category_slug, day and the merge that last saw it
_Row = tuple[str, str, str, str, int]
_CHUNK = 900  # stays under SQLite's limit of host parameters per statement
_SET_META = ("INSERT INTO meta VALUES (?, ?) "
             "ON CONFLICT (key) DO UPDATE SET value = excluded.value")


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
        query = (f"SELECT {ENTRY_COLUMNS} FROM entries WHERE day >= ? AND day < ? "
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

    def feeds(self, zone: ZoneInfo, max_entries: int) -> list[Feed]:
        """The feed of everything, then each category's (by name), each with its newest entries."""
        everything = self._newest("1 = 1", (), zone, max_entries)
        by_category = []
        for slug in self.feed_slugs():
            newest = self._newest("category_slug = ?", (slug,), zone, max_entries)
            by_category.append(Feed(slug, newest[0].category, newest))
        by_category.sort(key=lambda feed: (feed.category or "").casefold())
        return [Feed(ALL, None, everything), *by_category]

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
        if not failed and not self.source_health():
            return  # all well, as before: no transaction, no fsync
        with self.transaction() as db:
            for name in names:
                if name in failed:
                    db.execute(
                        "INSERT INTO source_health VALUES (?, 1, ?, ?) ON CONFLICT (name) DO "
                        "UPDATE SET failures_in_row = source_health.failures_in_row + 1, last_error = "
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
            db.execute(_SET_META, (key, value))

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
            db.executemany(_SET_META, [
                ("render_fingerprint", render_fingerprint),
                ("published_feeds", json.dumps(sorted(slugs))),
                ("published_months", json.dumps(sorted(months)))])


class Merge:
    """One build's harvest going into the store, a file's entries at a time (see `Store.merging`).

    Why an item is "new": neither its id nor an alias of it (see `feedsmith.identity`) is stored,
    and it is not a corrected title of a stored entry that is no longer listed (see
    `_settle_corrections`). An item whose stored entry this merge already took from an earlier
    file is listed twice: the first listing wins.

    Nothing is held per entry between files: each merge has a number (meta 'merges'), and rows
    carry the merge that added them (`added_in`) and last saw them (`seen_in`). That is how the
    same-day order and title corrections come out exactly as if the whole harvest had been
    merged at once.
    """

    def __init__(self, db: Database, now: datetime, begin: Callable[[], object]) -> None:
        self._db = db
        self._now = now
        self._stamp = utc_text(now)
        self._begin = begin
        self.started = False
        self._number = 0
        self.result = MergeResult()
        self._edits = 0  # edits so far: each gets its own `updated`, a microsecond apart
        self._older_days: set[str] = set()  # days given new entries that had stored ones

    def _start(self) -> None:
        """At the first write: begin the transaction and take the next merge number."""
        if self.started:
            return
        self._begin()
        self.started = True
        row = self._db.execute("SELECT value FROM meta WHERE key = 'merges'").fetchone()
        self._number = int(row[0]) + 1 if row else 1
        self._db.execute(_SET_META, ("merges", str(self._number)))
        # Ids a linked entry of this merge may also be listed under (its title id), not stored.
        self._db.execute("CREATE TEMP TABLE IF NOT EXISTS claimed (id TEXT PRIMARY KEY)")
        self._db.execute("DELETE FROM claimed")

    def add(self, entries: Sequence[Entry]) -> None:
        """Merge one file's or page's entries (newest listed first; no id twice among them)."""
        if not entries:
            return
        self._start()
        stored = self._stored_rows(i for entry in entries for i in (entry.id, *entry.aliases))
        aliases = self._aliases(entry.id for entry in entries if entry.id not in stored)
        stored.update(self._stored_rows(i for i in aliases.values() if i not in stored))
        claimed = self._claimed(i for entry in entries for i in (entry.id, *entry.aliases))
        fresh: list[Entry] = []
        edits: list[tuple[str, Entry]] = []
        seen: list[str] = []
        for entry in entries:
            if entry.id in claimed or claimed.intersection(entry.aliases):
                continue  # listed before in this build, under its link
            target = entry.id if entry.id in stored else aliases.get(entry.id)
            if target is None and (known := next((a for a in entry.aliases if a in stored), None)):
                target = known  # its link id is new, its title id is stored: record the alias
                if stored[known][4] != self._number:
                    self._db.execute("INSERT INTO aliases VALUES (?, ?)", (entry.id, known))
            if target is None:
                fresh.append(entry)
                continue
            content, title, _, _, seen_in = stored[target]
            if seen_in == self._number:
                continue  # listed before in this build: the first listing wins
            stored[target] = (*stored[target][:4], self._number)
            if content != content_hash(entry) or title != entry.title:
                edits.append((target, entry))
            else:
                seen.append(target)
        for target, entry in sorted(edits, key=lambda edit: edit[0]):
            self._edit(target, entry, stored[target][2], stored[target][3])
        self._mark_seen(seen)
        self._insert(fresh)
        self.result.seen += len(seen)

    def remember_reads(self, fingerprints: dict[str, str], validators: dict[str, tuple[str, str]],
                       signatures: dict[str, str]) -> None:
        """What was read, so that an unchanged file or page is not parsed (or read) again."""
        if not (fingerprints or validators):
            return
        self._start()
        self._db.executemany(
            "INSERT INTO listing_files (path, fingerprint, read_at, signature) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (path) DO UPDATE SET fingerprint = excluded.fingerprint, "
            "read_at = excluded.read_at, signature = excluded.signature", [(path, print_, self._stamp, signatures.get(path, ""))
                                    for path, print_ in fingerprints.items()])
        self._db.executemany("INSERT INTO http_validators VALUES (?, ?, ?) ON CONFLICT (url) "
                             "DO UPDATE SET etag = excluded.etag, "
                             "last_modified = excluded.last_modified",
                             [(url, etag, modified)
                              for url, (etag, modified) in validators.items()])

    def finish(self) -> None:
        """Settle title corrections, then record the feeds and pages the merge made stale."""
        self._settle_corrections()
        result = self.result
        if result.stale_feeds:
            result.stale_feeds.add(ALL)
        self._db.executemany("INSERT INTO pending_feeds VALUES (?) ON CONFLICT DO NOTHING",
                             [(slug,) for slug in sorted(result.stale_feeds)])
        self._db.executemany("INSERT INTO pending_months VALUES (?) ON CONFLICT DO NOTHING",
                             [(month,) for month in sorted(result.stale_months)])

    def _stored_rows(self, ids: Iterable[str]) -> dict[str, _Row]:
        """id -> (content_hash, title, category_slug, day, seen_in) for the ids that are stored."""
        rows: dict[str, _Row] = {}
        for chunk in _chunks(list(dict.fromkeys(ids))):
            query = (f"SELECT id, content_hash, title, category_slug, day, seen_in FROM entries "
                     f"WHERE id IN ({_marks(chunk)})")
            rows.update((row[0], row[1:]) for row in self._db.execute(query, chunk))
        return rows

    def _aliases(self, ids: Iterable[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for chunk in _chunks(list(ids)):
            query = f"SELECT alias, entry_id FROM aliases WHERE alias IN ({_marks(chunk)})"
            found.update(self._db.execute(query, chunk))
        return found

    def _claimed(self, ids: Iterable[str]) -> set[str]:
        found: set[str] = set()
        for chunk in _chunks(list(ids)):
            query = f"SELECT id FROM claimed WHERE id IN ({_marks(chunk)})"
            found.update(i for (i,) in self._db.execute(query, chunk))
        return found

    def _mark_seen(self, ids: list[str]) -> None:
        for chunk in _chunks(ids):
            self._db.execute(f"UPDATE entries SET last_seen = ?, seen_in = ? "
                             f"WHERE id IN ({_marks(chunk)})", (self._stamp, self._number, *chunk))

    def _edit(self, target: str, entry: Entry, old_slug: str, day: str) -> None:
        """Give a stored entry what its listing says now; its `updated` is this build's time,
        plus a microsecond per edit before it, so readers see edits in a stable order."""
        slug = category_slug(entry.category)
        self._db.execute(
            "UPDATE entries SET title = ?, category = ?, category_slug = ?, summary = ?, "
            "link = ?, content_hash = ?, updated = ?, last_seen = ?, origin = ?, image = ?, "
            "image_alt = ?, seen_in = ? WHERE id = ?",
            (entry.title, entry.category, slug, entry.summary, entry.link, content_hash(entry),
             utc_text(self._now + timedelta(microseconds=self._edits)), self._stamp,
             entry.origin, entry.image, entry.image_alt, self._number, target))
        self._edits += 1
        self.result.stale_feeds |= {old_slug, slug}
        self.result.stale_months.add(day[:7])
        self.result.changed += 1

    def _insert(self, fresh: list[Entry]) -> None:
        """Store new entries. Same-day entries get seconds counted up from the day's oldest new
        one, after those stored before this build (see `day_offsets`); this build's entries of
        that day from earlier files were listed above these, so they move up to make room."""
        if not fresh:
            return
        listed = [entry.day.isoformat() for entry in fresh]  # each entry's day, "YYYY-MM-DD"
        days = sorted(set(listed))
        stored_before: dict[date, int] = {}  # day -> the highest second of rows older than us
        ours: set[str] = set()  # days this merge gave entries from earlier files
        for chunk in _chunks(days):  # only the days that get entries: no scan of the store
            state = self._db.execute(
                f"SELECT day, MAX(CASE WHEN added_in != ? THEN tiebreak END), "
                f"SUM(CASE WHEN added_in = ? THEN 1 ELSE 0 END) FROM entries WHERE day IN ({_marks(chunk)}) GROUP BY day",
                (self._number, self._number, *chunk))
            for day, before, taken in state:
                if before is not None:
                    stored_before[date.fromisoformat(day)] = before
                    self._older_days.add(day)
                if taken:
                    ours.add(day)
        offsets = day_offsets(fresh, stored_before)
        added = Counter(listed)
        for day in sorted(ours):
            first = stored_before.get(date.fromisoformat(day), -1) + 1
            self._renumber(day, first + added[day])
        number, stamp = self._number, self._stamp
        rows = []
        for entry, offset, day in zip(fresh, offsets, listed, strict=True):
            slug = category_slug(entry.category)
            moment = utc_text(entry.published + timedelta(seconds=offset))
            rows.append((entry.id, entry.source, entry.category, slug, entry.title, entry.summary,
                         entry.link, day, offset, moment, moment,
                         content_hash(entry), stamp, stamp, entry.origin, entry.language,
                         entry.image, entry.image_alt, number, number))
            self.result.stale_feeds.add(slug)
        self._db.executemany(f"INSERT INTO entries VALUES ({_marks(rows[0])})", rows)
        claimed = [(alias,) for entry in fresh for alias in entry.aliases]
        self._db.executemany("INSERT INTO claimed VALUES (?) ON CONFLICT DO NOTHING", claimed)
        months = Counter(day[:7] for day in listed)
        self._count_months(months)
        self.result.stale_months.update(months)
        self.result.new += len(rows)

    def _renumber(self, day: str, first: int) -> None:
        """Give this merge's entries of `day` the seconds from `first` up, in their order."""
        rows = self._db.execute(
            "SELECT id, tiebreak, published FROM entries WHERE day = ? AND added_in = ? "
            "ORDER BY tiebreak", (day, self._number)).fetchall()
        for second, (entry_id, tiebreak, published) in enumerate(rows, start=first):
            if second != tiebreak:
                moment = utc_text(datetime.fromisoformat(published)
                                  + timedelta(seconds=second - tiebreak))
                self._db.execute("UPDATE entries SET tiebreak = ?, published = ?, updated = ? "
                                 "WHERE id = ?", (second, moment, moment, entry_id))

    def _count_months(self, months: Counter[str]) -> None:
        self._db.executemany(
            "INSERT INTO month_counts VALUES (?, ?) ON CONFLICT (month) DO UPDATE SET "
            "entries = month_counts.entries + excluded.entries", sorted(months.items()))

    def _settle_corrections(self) -> None:
        """Turn this merge's new entries that correct the title of a stored entry into edits of
        it, the new id becoming an alias.

        The rule: same listed day, same category, same summary and link, the same numbers in the
        title, and title keys at least 90 % alike; the stored entry must not itself be on the
        listings now (two titles listed side by side are two items). Only days that had stored
        entries are looked at, so a first build costs nothing here.
        """
        corrected_days: set[str] = set()
        for chunk in _chunks(sorted(self._older_days)):
            alike: dict[tuple[str, str, str], list[tuple[str, str]]] = {}
            rows = self._db.execute(
                f"SELECT day, category_slug, content_hash, id, title FROM entries "
                f"WHERE day IN ({_marks(chunk)}) AND added_in != ? AND seen_in != ? ORDER BY id",
                (*chunk, self._number, self._number))
            for day, slug, digest, stored_id, title in rows:
                alike.setdefault((day, slug, digest), []).append((stored_id, title))
            if not alike:
                continue
            taken: set[str] = set()
            fresh = self._db.execute(
                f"SELECT day, category_slug, content_hash, id, title FROM entries "
                f"WHERE day IN ({_marks(chunk)}) AND added_in = ? ORDER BY day, tiebreak DESC",
                (*chunk, self._number)).fetchall()
            for day, slug, digest, new_id, title in fresh:
                candidates = [c for c in alike.get((day, slug, digest), []) if c[0] not in taken]
                if candidates and (match := corrected(title, candidates)):
                    taken.add(match)
                    self._adopt(new_id, match)
                    corrected_days.add(day)
        for day in sorted(corrected_days):  # close the gaps the adopted entries left
            before = self._db.execute(
                "SELECT MAX(tiebreak) FROM entries WHERE day = ? AND added_in != ?",
                (day, self._number)).fetchone()[0]
            self._renumber(day, before + 1)

    def _adopt(self, new_id: str, stored_id: str) -> None:
        """The entry just added as `new_id` is `stored_id` with a corrected title."""
        row = self._db.execute(
            f"SELECT {ENTRY_COLUMNS} FROM entries WHERE id = ?", (new_id,)).fetchone()
        (_, title, category, _, _, summary, link, source, origin, language, day, image,
         image_alt) = row
        entry = Entry(id=new_id, title=title, category=category, published=self._now,
                      updated=self._now, summary=summary, link=link, source=source,
                      origin=origin, language=language, image=image, image_alt=image_alt)
        old_slug, old_day = self._db.execute(
            "SELECT category_slug, day FROM entries WHERE id = ?", (stored_id,)).fetchone()
        self._db.execute("DELETE FROM entries WHERE id = ?", (new_id,))
        self._db.execute("INSERT INTO aliases (alias, entry_id) VALUES (?, ?)",
                         (new_id, stored_id))
        self._count_months(Counter({day[:7]: -1}))
        self._edit(stored_id, entry, old_slug, old_day)
        self.result.new -= 1
        self.result.corrected += 1


def entry_from_row(row: Sequence[str], zone: ZoneInfo) -> Entry:
    """An Entry from a row selected with `ENTRY_COLUMNS`."""
    (entry_id, title, category, published, updated, summary, link, source, origin, lang,
     day, image, image_alt) = row[:_ENTRY_WIDTH]
    moment = from_utc_text(published, zone)
    return Entry(id=entry_id, title=title, category=category, published=moment,
                 updated=moment if updated == published else from_utc_text(updated, zone),
                 summary=summary, link=link, source=source, origin=origin, language=lang,
                 home=permalink(entry_id, day), image=image, image_alt=image_alt)


def _marks(values: Sequence[object]) -> str:
    return ", ".join("?" * len(values))


def _chunks(values: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start:start + _CHUNK]
