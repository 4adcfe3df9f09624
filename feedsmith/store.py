"""The memory of feedsmith: every entry ever seen, which listing files were read, what is unpublished.

A SQLite database (WAL) beside the config. Feeds are written from here, not from the listings, so
a feed keeps its history after the listing page has moved on. Why an item is "new": its id (or an
alias of it, see `_find_corrections`) is not in `entries` yet.

Crash safety rests on `pending_feeds`: a merge records the feeds it made stale in the same
transaction as the entries, and they are cleared only after those feeds were written. A build
killed anywhere leaves either the old state or a new state whose unwritten feeds the next build
writes.
"""

from __future__ import annotations

import contextlib
import difflib
import errno
import hashlib
import json
import os
import re
import sqlite3
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from filelock import FileLock, Timeout

from feedsmith.entry import ALL, Entry, Feed, category_slug, day_offsets, title_key
from feedsmith.errors import StoreError


def _reslug(db: sqlite3.Connection) -> None:
    """v5: category slugs that tell apart names differing in more than case, accents and
    punctuation ("C++" and "C", two emoji). Feeds whose slug moved are written again; the old
    file is written empty, as for any category that lost its entries."""
    rows = db.execute("SELECT DISTINCT category, category_slug FROM entries").fetchall()
    for category, old in rows:
        new = category_slug(category)
        if new != old:
            db.execute("UPDATE entries SET category_slug = ? WHERE category = ?", (new, category))
            db.executemany("INSERT OR IGNORE INTO pending_feeds VALUES (?)",
                           [(old,), (new,), (ALL,)])


# Each migration takes the schema from version N to N+1 (PRAGMA user_version): SQL, or a function
# for what SQL cannot say. Never edit one that has shipped: add the next.
MIGRATIONS: tuple[str | Callable[[sqlite3.Connection], None], ...] = (
    """
    CREATE TABLE entries (
        id            TEXT PRIMARY KEY,   -- tag: URI, see feedsmith.entry.entry_id
        source        TEXT NOT NULL,
        category      TEXT NOT NULL,
        category_slug TEXT NOT NULL,
        title         TEXT NOT NULL,
        summary       TEXT NOT NULL,
        link          TEXT NOT NULL,
        day           TEXT NOT NULL,      -- the listed date, YYYY-MM-DD
        tiebreak      INTEGER NOT NULL,   -- seconds after noon that order same-day entries
        published     TEXT NOT NULL,      -- UTC, ISO 8601: sorts chronologically as text
        updated       TEXT NOT NULL,      -- UTC; the last significant change
        content_hash  TEXT NOT NULL,      -- of category, summary and link: what an edit changes
        first_seen    TEXT NOT NULL,      -- UTC build times
        last_seen     TEXT NOT NULL,
        origin        TEXT NOT NULL       -- path:line it was last read from
    );
    CREATE INDEX entries_by_category ON entries (category_slug, published, id);
    CREATE INDEX entries_by_published ON entries (published, id);
    CREATE INDEX entries_by_day ON entries (day, category_slug);
    -- ids of corrected titles that stand for an older entry
    CREATE TABLE aliases (alias TEXT PRIMARY KEY, entry_id TEXT NOT NULL REFERENCES entries (id));
    -- listing files already merged, so an unchanged file is not parsed again
    CREATE TABLE listing_files (path TEXT PRIMARY KEY, fingerprint TEXT NOT NULL,
                                read_at TEXT NOT NULL);
    -- feeds (by slug) whose entries changed but that are not yet written
    CREATE TABLE pending_feeds (slug TEXT PRIMARY KEY);
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
    """
    -- the digest ledger: one row per month asked for; number NULL for a month with nothing new
    CREATE TABLE issues (
        month     TEXT PRIMARY KEY,    -- YYYY-MM in the site's time zone
        number    INTEGER,             -- unique per year or overall, by [digest] numbering
        built_at  TEXT NOT NULL,       -- UTC
        subject   TEXT NOT NULL,
        html      TEXT NOT NULL,       -- the email's HTML part
        web       TEXT NOT NULL,       -- the "view online" page
        text      TEXT NOT NULL,       -- the plain-text part
        eml       BLOB NOT NULL        -- the ready-to-send message, addressed to every `to`
    );
    -- which issue carries an entry: an entry is never in two issues
    CREATE TABLE issue_entries (
        entry_id TEXT PRIMARY KEY REFERENCES entries (id),
        month    TEXT NOT NULL REFERENCES issues (month),
        late     INTEGER NOT NULL      -- 1: a late arrival from an earlier month
    );
    -- one delivery per issue and recipient: 'sending' (tried, outcome unknown), 'sent', 'failed'
    CREATE TABLE deliveries (
        month      TEXT NOT NULL REFERENCES issues (month),
        recipient  TEXT NOT NULL,
        state      TEXT NOT NULL,
        attempts   INTEGER NOT NULL,
        message_id TEXT NOT NULL,
        changed_at TEXT NOT NULL,
        error      TEXT NOT NULL,
        PRIMARY KEY (month, recipient)
    );
    """,
    """
    -- HTTP validators of fetched listings, for conditional GET (a 304 costs no parsing)
    CREATE TABLE http_validators (url TEXT PRIMARY KEY, etag TEXT NOT NULL,
                                  last_modified TEXT NOT NULL);
    -- consecutive failed builds per source, for `status`
    CREATE TABLE source_health (name TEXT PRIMARY KEY, failures_in_row INTEGER NOT NULL,
                                last_error TEXT NOT NULL, changed_at TEXT NOT NULL);
    """,
    """
    -- the language of the listing an entry came from ('' for entries stored before)
    ALTER TABLE entries ADD COLUMN language TEXT NOT NULL DEFAULT '';
    """,
    _reslug,
)
SCHEMA_VERSION = len(MIGRATIONS)


ENTRY_COLUMNS = ("id, title, category, published, updated, summary, link, source, origin, "
                 "language")
_CHUNK = 900  # stays under SQLite's limit of host parameters per statement
# A title correction: same day, category and summary, and titles this alike with the same numbers.
_TITLE_SIMILARITY = 0.9


@dataclass(slots=True)
class MergeResult:
    """What one build's harvest did to the store."""

    new: int = 0
    changed: int = 0
    corrected: int = 0  # new ids recognised as corrected titles of stored entries
    seen: int = 0
    stale_feeds: set[str] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class ListedEntry:
    """A stored entry with what explains its place in the feeds."""

    entry: Entry
    rank_in_all: int  # 1 = newest; in the feed of everything while <= max_entries
    rank_in_category: int
    first_seen: datetime
    last_seen: datetime


def content_hash(entry: Entry) -> str:
    """What counts as an edit of an item once its id is fixed: category, summary and link."""
    material = f"{entry.category}\x1f{entry.summary}\x1f{entry.link}"
    return hashlib.sha256(material.encode("utf-8")).hexdigest()[:32]


def utc_text(moment: datetime) -> str:
    """How the store writes times: UTC text that sorts chronologically."""
    return moment.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def from_utc_text(text: str, zone: ZoneInfo) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z").astimezone(zone)


class Store:
    """An open state database. Use `open_store`; every method runs in its own transaction."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._db = connection
        self.path = path

    @property
    def connection(self) -> sqlite3.Connection:
        """For the ledger, which keeps its tables in the same database."""
        return self._db

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any exception."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # --- listing files -------------------------------------------------------------------------

    def file_fingerprints(self) -> dict[str, str]:
        return dict(self._db.execute("SELECT path, fingerprint FROM listing_files"))

    # --- merging a harvest ---------------------------------------------------------------------

    def merge(self, entries: Sequence[Entry], fingerprints: dict[str, str], now: datetime,
              validators: dict[str, tuple[str, str]] | None = None) -> MergeResult:
        """Add new entries, refresh seen ones, record edits; all in one transaction."""
        result = MergeResult()
        stamp = utc_text(now)
        with self.transaction() as db:
            stored = self._stored_rows(i for entry in entries for i in (entry.id, *entry.aliases))
            aliases = self._aliases(e.id for e in entries if e.id not in stored)
            for entry in entries:  # e.g. a link id for an entry stored under its title id
                if entry.id not in stored and entry.id not in aliases:
                    known = next((a for a in entry.aliases if a in stored), None)
                    if known is not None:
                        aliases[entry.id] = known
                        db.execute("INSERT INTO aliases VALUES (?, ?)", (entry.id, known))
            stored.update(self._stored_rows(aliases.values()))
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
            harvested = {entry.id for entry in entries} | set(aliases.values())
            corrections = self._find_corrections(fresh, harvested)
            fresh = [entry for entry in fresh if entry.id not in corrections]
            for alias, target in corrections.items():
                db.execute("INSERT INTO aliases (alias, entry_id) VALUES (?, ?)", (alias, target))
                stored[target] = self._stored_rows([target])[target]
            edits += [(target, entry) for entry in entries
                      if (target := corrections.get(entry.id)) is not None]
            self._apply_edits(edits, stored, now, result)
            self._insert(fresh, stamp, result)
            for chunk in _chunks(seen):
                db.execute(f"UPDATE entries SET last_seen = ? WHERE id IN ({_marks(chunk)})",
                           (stamp, *chunk))
            result.seen = len(seen)
            result.corrected = len(corrections)
            db.executemany("INSERT OR REPLACE INTO listing_files VALUES (?, ?, ?)",
                           [(path, print_, stamp) for path, print_ in fingerprints.items()])
            db.executemany("INSERT OR REPLACE INTO http_validators VALUES (?, ?, ?)",
                           [(url, etag, modified)
                            for url, (etag, modified) in (validators or {}).items()])
            if result.stale_feeds:
                result.stale_feeds.add(ALL)
            db.executemany("INSERT OR IGNORE INTO pending_feeds VALUES (?)",
                           [(slug,) for slug in sorted(result.stale_feeds)])
        return result

    def _stored_rows(self, ids: Iterable[str]) -> dict[str, tuple[str, str, str]]:
        """id -> (content_hash, title, category_slug) for those ids that are stored."""
        rows: dict[str, tuple[str, str, str]] = {}
        for chunk in _chunks(list(dict.fromkeys(ids))):
            query = (f"SELECT id, content_hash, title, category_slug FROM entries "
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
            if candidates and (match := _corrected(entry.title, candidates)):
                corrections[entry.id] = match
        return corrections

    def _apply_edits(self, edits: list[tuple[str, Entry]], stored: dict[str, tuple[str, str, str]],
                     now: datetime, result: MergeResult) -> None:
        # Edits of one build get distinct `updated` times, a microsecond apart, in id order.
        for offset, (target, entry) in enumerate(sorted(edits, key=lambda edit: edit[0])):
            slug = category_slug(entry.category)
            self._db.execute(
                "UPDATE entries SET title = ?, category = ?, category_slug = ?, summary = ?, "
                "link = ?, content_hash = ?, updated = ?, last_seen = ?, origin = ? WHERE id = ?",
                (entry.title, entry.category, slug, entry.summary, entry.link,
                 content_hash(entry), utc_text(now + timedelta(microseconds=offset)), utc_text(now),
                 entry.origin, target))
            result.stale_feeds |= {stored[target][2], slug}
            result.changed += 1

    def _insert(self, fresh: list[Entry], stamp: str, result: MergeResult) -> None:
        if not fresh:
            return
        used = dict(self._db.execute("SELECT day, MAX(tiebreak) FROM entries GROUP BY day"))
        used_seconds = {date.fromisoformat(day): second for day, second in used.items()}
        rows = []
        for entry, offset in zip(fresh, day_offsets(fresh, used_seconds), strict=True):
            slug = category_slug(entry.category)
            moment = utc_text(entry.published + timedelta(seconds=offset))
            rows.append((entry.id, entry.source, entry.category, slug, entry.title, entry.summary,
                         entry.link, entry.day.isoformat(), offset, moment, moment,
                         content_hash(entry), stamp, stamp, entry.origin, entry.language))
            result.stale_feeds.add(slug)
        self._db.executemany(f"INSERT INTO entries VALUES ({_marks(rows[0])})", rows)
        result.new += len(rows)

    # --- reading feeds back --------------------------------------------------------------------

    def pending_feeds(self) -> set[str]:
        return {slug for (slug,) in self._db.execute("SELECT slug FROM pending_feeds")}

    def count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM entries").fetchone()[0])

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
            entry = entry_from_row(row[:10], zone)
            if wanted_slug not in (None, row[14]):
                continue
            if month and entry.published.strftime("%Y-%m") != month:
                continue
            listed.append(ListedEntry(entry, row[10], row[11], from_utc_text(row[12], zone),
                                      from_utc_text(row[13], zone)))
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

    def published(self, render_fingerprint: str, slugs: list[str]) -> None:
        """The pending feeds are written: forget them, remember how and which were rendered."""
        with self.transaction() as db:
            db.execute("DELETE FROM pending_feeds")
            db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", [
                ("render_fingerprint", render_fingerprint),
                ("published_feeds", json.dumps(sorted(slugs)))])

    def close(self) -> None:
        self._db.close()


def _corrected(title: str, candidates: list[tuple[str, str]]) -> str | None:
    """The id of the candidate whose title `title` corrects, if any (see `_find_corrections`)."""
    key = title_key(title)
    numbers = re.findall(r"\d+", key)
    best: tuple[float, str] | None = None
    for stored_id, stored_title in candidates:
        stored_key = title_key(stored_title)
        if re.findall(r"\d+", stored_key) != numbers:
            continue
        ratio = difflib.SequenceMatcher(None, stored_key, key).ratio()
        if ratio >= _TITLE_SIMILARITY and (best is None or ratio > best[0]):
            best = (ratio, stored_id)
    return best[1] if best else None


def entry_from_row(row: Sequence[str], zone: ZoneInfo) -> Entry:
    """An Entry from a row selected with `ENTRY_COLUMNS`."""
    entry_id, title, category, published, updated, summary, link, source, origin, lang = row[:10]
    return Entry(id=entry_id, title=title, category=category,
                 published=from_utc_text(published, zone), updated=from_utc_text(updated, zone),
                 summary=summary, link=link, source=source, origin=origin, language=lang)


def _marks(values: Sequence[object]) -> str:
    return ", ".join("?" * len(values))


def _chunks(values: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start:start + _CHUNK]


@contextmanager
def open_store(path: Path) -> Iterator[Store]:
    """Open (creating or migrating) the state database at `path`; a StoreError names the file.

    A new store is built beside `path` and moved into place only once it holds feedsmith's
    schema, so a file at `path` that is empty or not a feedsmith store is never a store that
    was being created: it is refused, never reset (a reset would forget which issues were sent).
    """
    if not path.exists():
        _create(path)
    _check_is_store(path)
    try:
        connection = sqlite3.connect(path, isolation_level=None, timeout=30)
    except sqlite3.Error as exc:
        raise _store_error(path, exc) from exc
    store = Store(connection, path)
    try:
        _prepare(connection, path)
        yield store
    except sqlite3.Error as exc:
        raise _store_error(path, exc) from exc
    finally:
        store.close()


_SQLITE_HEADER = b"SQLite format 3\x00"


def _check_is_store(path: Path) -> None:
    try:
        with path.open("rb") as handle:
            header = handle.read(len(_SQLITE_HEADER))
    except OSError as exc:
        raise StoreError(f"{path}: cannot read the state database: {exc.strerror}") from exc
    if not header:
        raise StoreError(
            f"{path}: the state database is an empty file (0 bytes), not a feedsmith store. "
            "feedsmith never resets a store, since it holds the history and the record of sent "
            "issues: restore it from a backup, or delete the empty file to start a new store.")
    if header != _SQLITE_HEADER:
        raise StoreError(
            f"{path}: not a feedsmith store (not an SQLite database): check [store] path, or "
            "restore the store from a backup; feedsmith does not overwrite it.")


def _create(path: Path) -> None:
    """A new, fully migrated store at `path`, appearing there all at once (or not at all)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".new")
        os.close(fd)
    except OSError as exc:
        raise StoreError(f"{path}: cannot create the state database: "
                         f"{_os_reason(exc, path.parent)}") from exc
    temp = Path(name)
    try:
        connection = sqlite3.connect(temp, isolation_level=None)
        try:
            _prepare(connection, temp)
        finally:
            connection.close()  # checkpoints the WAL into the file and removes it
        with temp.open("rb+") as handle:
            os.fsync(handle.fileno())
        os.link(temp, path)  # never replaces: a store another run just created wins
    except FileExistsError:
        pass
    except sqlite3.Error as exc:
        raise _store_error(path, exc) from exc
    except OSError as exc:
        raise StoreError(f"{path}: cannot create the state database: "
                         f"{_os_reason(exc, path.parent)}") from exc
    finally:
        for leftover in (temp, *(temp.with_name(temp.name + s) for s in ("-wal", "-shm"))):
            with contextlib.suppress(OSError):
                leftover.unlink()


def _os_reason(exc: OSError, where: Path) -> str:
    if exc.errno == errno.ENOSPC:
        return f"the disk holding {where} is full"
    if exc.errno == errno.EROFS:
        return f"{where} is on a read-only file system"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"permission denied for {where}"
    return exc.strerror or str(exc)


# SQLite result codes (exc.sqlite_errorcode & 0xff) that say the database itself is damaged.
_CORRUPT_CODES = {11, 26}  # SQLITE_CORRUPT, SQLITE_NOTADB
_FULL_CODE, _IOERR_CODE = 13, 10
_CANNOT_WRITE_CODES = {3, 8, 14, 23}  # SQLITE_PERM, _READONLY, _CANTOPEN, _AUTH
_BUSY_CODES = {5, 6}  # SQLITE_BUSY, _LOCKED


def _store_error(path: Path, exc: sqlite3.Error) -> StoreError:
    """What went wrong with the database, in words an operator can act on.

    Only a damaged file is called corrupt: a full disk or a read-only file, folder or file system
    says so, since "move it aside" would be the wrong advice (and would lose the ledger).
    """
    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
    if code in _CORRUPT_CODES:
        return StoreError(
            f"{path}: the state database is unreadable or corrupt ({exc}). Restore it from a "
            "backup, or move it aside to start afresh: the history beyond what the listings "
            "still show, and the record of sent issues, would be lost.")
    if code == _FULL_CODE:
        return StoreError(f"{path}: the disk is full ({exc}); nothing was changed: free some "
                          "space and run again")
    if code in _CANNOT_WRITE_CODES or code == _IOERR_CODE:
        reason = _why_not_writable(path) or (
            "input/output error: the disk may be full or failing" if code == _IOERR_CODE
            else "it cannot be opened for writing")
        return StoreError(f"{path}: cannot use the state database: {reason} ({exc}); nothing "
                          "was changed")
    if code in _BUSY_CODES:
        return StoreError(f"{path}: the state database is locked by another program ({exc}); "
                          "try again later")
    return StoreError(f"{path}: the state database failed: {exc}")


def _why_not_writable(path: Path) -> str:
    """The reason SQLite cannot write `path` (and its -wal and -shm beside it), if one shows."""
    for where in (path, path.parent):
        with contextlib.suppress(OSError):
            if os.statvfs(where).f_flag & os.ST_RDONLY:
                return f"{where} is on a read-only file system"
        if where.exists() and not os.access(where, os.W_OK):
            kind = "folder" if where.is_dir() else "file"
            return f"permission denied: the {kind} {where} is not writable by this user"
    return ""


def _prepare(connection: sqlite3.Connection, path: Path) -> None:
    """Settings, then migrations under the database's write lock: the version is read again
    once the lock is held, so several first runs at once migrate exactly once."""
    connection.execute("PRAGMA synchronous = FULL")
    connection.execute("PRAGMA foreign_keys = ON")
    current = _version(connection, path)  # before anything writes: a foreign file stays as is
    if connection.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
        connection.execute("PRAGMA journal_mode = WAL")
    if current == SCHEMA_VERSION:
        return
    connection.execute("BEGIN IMMEDIATE")
    try:
        for number in range(_version(connection, path), SCHEMA_VERSION):
            step = MIGRATIONS[number]
            if callable(step):
                step(connection)
            else:
                for statement in _statements(step):
                    connection.execute(statement)
            connection.execute(f"PRAGMA user_version = {number + 1}")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


def _version(connection: sqlite3.Connection, path: Path) -> int:
    version = int(connection.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise StoreError(f"{path}: written by a newer feedsmith (schema {version}, this one "
                         f"knows {SCHEMA_VERSION}): upgrade feedsmith")
    if version == 0 and connection.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0]:
        raise StoreError(f"{path}: an SQLite database, but not a feedsmith store (it has other "
                         "tables): check [store] path; feedsmith does not change it")
    return version


def _statements(script: str) -> Iterator[str]:
    """The statements of a migration script, one at a time (executescript would COMMIT)."""
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            yield statement
            statement = ""
    if statement.strip(" \n;"):
        yield statement


@contextmanager
def exclusive(path: Path, wait: float) -> Iterator[None]:
    """Hold the store's lock (`<store>.lock`) for a whole run, waiting up to `wait` seconds.

    The rule for overlapping runs (a slow build and the next cron tick): the second waits for the
    first, and gives up with a clear error after `wait` seconds. The lock is an OS file lock, so a
    killed run never leaves it held.
    """
    lock_path = path.with_name(path.name + ".lock")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(lock_path, timeout=wait):
            yield
    except Timeout:
        raise StoreError(f"{lock_path}: another feedsmith run is still working on this store "
                         f"(waited {wait:g} s); try again later or give more --wait") from None
    except OSError as exc:
        raise StoreError(f"{lock_path}: cannot take the lock: "
                         f"{_os_reason(exc, lock_path.parent)}") from exc
