"""One build's harvest going into the store: why an item is "new", an edit, a title
correction, or already known; and which feeds and archive months that makes stale.

Crash safety rests on `pending_feeds`: a merge records the feeds it made stale in the same
transaction as the entries, and they are cleared only after those feeds were written. A build
killed anywhere leaves either the old state or a new state whose unwritten feeds the next build
writes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from feedsmith.entry import Entry, day_offsets
from feedsmith.identity import ALL, category_slug, content_hash, corrected, legacy_id, same_title
from feedsmith.store.database import Database, utc_text
from feedsmith.store.rows import (
    INSERT_ENTRY,
    LISTED_SELECT,
    EntryRow,
    entry_from_row,
    new_entry_row,
)

_CHUNK = 900  # stays under SQLite's limit of host parameters per statement
SET_META = ("INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value")


class Stored(NamedTuple):
    """What a merge needs of a stored entry's row (by column name)."""

    content_hash: str
    title: str
    category_slug: str
    day: str
    seen_in: int  # the merge that last saw it
    title_derived: int  # 1: its title was made from its summary


class MergeResult(NamedTuple):
    """What one build's harvest did to the store."""

    new: int = 0
    changed: int = 0
    corrected: int = 0  # new ids recognised as corrected titles of stored entries
    seen: int = 0
    stale_feeds: frozenset[str] = frozenset()
    stale_months: frozenset[str] = frozenset()  # "YYYY-MM" archive pages to rewrite


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
        # What the merge did so far (see `result`)
        self._new = self._changed = self._corrected = self._seen = 0
        self._stale_feeds: set[str] = set()
        self._stale_months: set[str] = set()
        self._edits = 0  # edits so far: each gets its own `updated`, a microsecond apart
        self._older_days: set[str] = set()  # days given new entries that had stored ones

    @property
    def result(self) -> MergeResult:
        """What the merge did so far."""
        return MergeResult(self._new, self._changed, self._corrected, self._seen,
                           frozenset(self._stale_feeds), frozenset(self._stale_months))

    def _start(self) -> None:
        """At the first write: begin the transaction and take the next merge number."""
        if self.started:
            return
        self._begin()
        self.started = True
        row = self._db.execute("SELECT value FROM meta WHERE key = 'merges'").fetchone()
        self._number = int(row[0]) + 1 if row else 1
        self._db.execute(SET_META, ("merges", str(self._number)))
        # Ids a linked entry of this merge may also be listed under (its title id), not stored.
        self._db.execute("CREATE TEMP TABLE IF NOT EXISTS claimed (id TEXT PRIMARY KEY)")
        self._db.execute("DELETE FROM claimed")

    def add(self, entries: Sequence[Entry]) -> None:
        """Merge one file's or page's entries (newest listed first; no id twice among them)."""
        if not entries:
            return
        self._start()
        ids = [i for entry in entries for i in (entry.id, *entry.aliases)]
        legacy = {entry.id: old for entry in entries if (old := legacy_id(entry))}
        stored = self._stored_rows([*ids, *legacy.values()])
        aliases = self._aliases(entry.id for entry in entries if entry.id not in stored)
        stored.update(self._stored_rows(i for i in aliases.values() if i not in stored))
        claimed = self._claimed(ids)
        fresh: list[Entry] = []
        edits: list[tuple[str, Entry]] = []
        seen: list[str] = []
        for entry in entries:
            if entry.id in claimed or claimed.intersection(entry.aliases):
                continue  # listed before in this build, under its link
            target = self._stored_id(entry, stored, aliases, legacy.get(entry.id))
            if target is None:
                fresh.append(entry)
                continue
            row = stored[target]
            if row.seen_in == self._number:
                continue  # listed before in this build: the first listing wins
            stored[target] = row._replace(seen_in=self._number)
            if entry.title_derived and not row.title_derived:  # a made title never replaces
                entry = entry._replace(title=row.title, title_derived=False)  # a listed one
            if row.content_hash != content_hash(entry) or row.title != entry.title:
                edits.append((target, entry))
            else:
                seen.append(target)
        for target, entry in sorted(edits, key=lambda edit: edit[0]):
            self._edit(target, entry, stored[target].category_slug, stored[target].day)
        self._mark_seen(seen)
        self._insert(fresh)
        self._seen += len(seen)

    def _stored_id(self, entry: Entry, stored: dict[str, Stored], aliases: dict[str, str],
                   legacy: str | None) -> str | None:
        """The id under which `entry` is stored: its own, the entry it is an alias of, the one
        its title id names, or the one an older feedsmith gave its link if the titles agree
        (for then its id is new: the alias is recorded); None if it is new."""
        if entry.id in stored:
            return entry.id
        if entry.id in aliases:
            return aliases[entry.id]
        known = next((alias for alias in entry.aliases if alias in stored), None)
        if known is None and legacy in stored and same_title(stored[legacy].title, entry.title):
            known = legacy
        if known is not None and stored[known].seen_in != self._number:
            self._db.execute("INSERT INTO aliases (alias, entry_id) VALUES (?, ?)",
                             (entry.id, known))
        return known

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
        self._db.executemany("INSERT INTO http_validators (url, etag, last_modified) VALUES (?, ?, ?) "
                             "ON CONFLICT (url) "
                             "DO UPDATE SET etag = excluded.etag, "
                             "last_modified = excluded.last_modified",
                             [(url, etag, modified)
                              for url, (etag, modified) in validators.items()])

    def finish(self) -> None:
        """Settle title corrections, then record the feeds and pages the merge made stale."""
        self._settle_corrections()
        if self._stale_feeds:
            self._stale_feeds.add(ALL)
        self._db.executemany("INSERT INTO pending_feeds (slug) VALUES (?) ON CONFLICT DO NOTHING",
                             [(slug,) for slug in sorted(self._stale_feeds)])
        self._db.executemany("INSERT INTO pending_months (month) VALUES (?) ON CONFLICT DO NOTHING",
                             [(month,) for month in sorted(self._stale_months)])

    def _stored_rows(self, ids: Iterable[str]) -> dict[str, Stored]:
        """id -> what the merge needs of its row, for the ids that are stored."""
        rows: dict[str, Stored] = {}
        for chunk in _chunks(list(dict.fromkeys(ids))):
            query = (f"SELECT id, {', '.join(Stored._fields)} FROM entries "
                     f"WHERE id IN ({_marks(chunk)})")
            rows.update((row[0], Stored(*row[1:])) for row in self._db.execute(query, chunk))
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
            "image_alt = ?, seen_in = ?, title_derived = ? WHERE id = ?",
            (entry.title, entry.category, slug, entry.summary, entry.link, content_hash(entry),
             utc_text(self._now + timedelta(microseconds=self._edits)), self._stamp,
             entry.origin, entry.image, entry.image_alt, self._number, int(entry.title_derived),
             target))
        if entry.link:  # its page, if followed, is fetched again (see `store.articles`)
            self._db.execute("UPDATE articles SET refresh = 1 WHERE url = ?", (entry.link,))
        self._edits += 1
        self._stale_feeds |= {old_slug, slug}
        self._stale_months.add(day[:7])
        self._changed += 1

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
        rows = [new_entry_row(entry, day, offset, self._stamp, self._number)
                 for entry, offset, day in zip(fresh, offsets, listed, strict=True)]
        self._stale_feeds.update(row.category_slug for row in rows)
        self._db.executemany(INSERT_ENTRY, rows)
        claimed = [(alias,) for entry in fresh for alias in entry.aliases]
        self._db.executemany("INSERT INTO claimed (id) VALUES (?) ON CONFLICT DO NOTHING",
                             claimed)
        months = Counter(day[:7] for day in listed)
        self._count_months(months)
        self._stale_months.update(months)
        self._new += len(rows)

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
            "INSERT INTO month_counts (month, entries) VALUES (?, ?) ON CONFLICT (month) DO UPDATE SET "
            "entries = month_counts.entries + excluded.entries", sorted(months.items()))

    def _settle_corrections(self) -> None:
        """Turn this merge's new entries that correct the title of a stored entry into edits of
        it, the new id becoming an alias.

        The rule: same listed day, same category, same summary and link, and either the same
        numbers in the title and title keys at least 90 % alike, or one of the two titles made
        from the summary (`title_derived`): a listed title replaces a made one, a made one
        never replaces a listed one. The stored entry must not itself be on the listings now
        (two titles listed side by side are two items). Only days that had stored entries are
        looked at, so a first build costs nothing here.
        """
        corrected_days: set[str] = set()
        for chunk in _chunks(sorted(self._older_days)):
            alike: dict[tuple[str, str, str], list[tuple[str, str, int]]] = {}
            rows = self._db.execute(
                f"SELECT day, category_slug, content_hash, id, title, title_derived FROM entries "
                f"WHERE day IN ({_marks(chunk)}) AND added_in != ? AND seen_in != ? ORDER BY id",
                (*chunk, self._number, self._number))
            for day, slug, digest, stored_id, title, derived in rows:
                alike.setdefault((day, slug, digest), []).append((stored_id, title, derived))
            if not alike:
                continue
            taken: set[str] = set()
            fresh = self._db.execute(
                f"SELECT day, category_slug, content_hash, id, title, title_derived FROM entries "
                f"WHERE day IN ({_marks(chunk)}) AND added_in = ? ORDER BY day, tiebreak DESC",
                (*chunk, self._number)).fetchall()
            for day, slug, digest, new_id, title, derived in fresh:
                candidates = [c for c in alike.get((day, slug, digest), []) if c[0] not in taken]
                made = next((c[0] for c in candidates if c[2] != derived), None)
                match = made or corrected(title, [(c[0], c[1]) for c in candidates])
                if match:
                    taken.add(match)
                    self._adopt(new_id, match, keep_title=bool(made and derived))
                    corrected_days.add(day)
        for day in sorted(corrected_days):  # close the gaps the adopted entries left
            before = self._db.execute(
                "SELECT MAX(tiebreak) FROM entries WHERE day = ? AND added_in != ?",
                (day, self._number)).fetchone()[0]
            self._renumber(day, before + 1)

    def _adopt(self, new_id: str, stored_id: str, keep_title: bool) -> None:
        """The entry just added as `new_id` is `stored_id` with a corrected title (or, with
        `keep_title`, the stored one's title made from its summary)."""
        row = self._db.execute(f"SELECT {LISTED_SELECT} FROM entries WHERE id = ?",
                               (new_id,)).fetchone()
        day = EntryRow._make(row).day
        entry = entry_from_row(row, ZoneInfo("UTC"))  # `_edit` takes its listed fields only
        old_slug, old_day = self._db.execute(
            "SELECT category_slug, day FROM entries WHERE id = ?", (stored_id,)).fetchone()
        self._db.execute("DELETE FROM entries WHERE id = ?", (new_id,))
        self._db.execute("INSERT INTO aliases (alias, entry_id) VALUES (?, ?)",
                         (new_id, stored_id))
        self._count_months(Counter({day[:7]: -1}))
        self._new -= 1
        if keep_title:
            self._mark_seen([stored_id])
            self._seen += 1
            return
        self._edit(stored_id, entry, old_slug, old_day)
        self._corrected += 1


def _marks(values: Sequence[object]) -> str:
    return ", ".join("?" * len(values))


def _chunks(values: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start:start + _CHUNK]
