"""The database's schema, version by version: the store's tables and the ledger's.

`feedsmith.store.database` applies these on open, on either engine: the SQL is SQLite's, and the
PostgreSQL module translates its types. Each migration takes the schema from version N to N+1:
SQL, or a function for what SQL cannot say. Never edit one that has
shipped: add the next. Which module reads and writes which tables: `store` the entries and what
builds need (aliases, listing_files, pending_feeds, meta, http_validators, source_health);
`ledger` the issues, issue_entries and deliveries.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from feedsmith.errors import StoreError
from feedsmith.identity import ALL, category_slug

if TYPE_CHECKING:
    from feedsmith.store.database import Database


def _reslug(db: Database) -> None:
    """v5: category slugs that tell apart names differing in more than case, accents and
    punctuation ("C++" and "C", two emoji). Feeds whose slug moved are written again; the old
    file is written empty, as for any category that lost its entries."""
    rows = db.execute("SELECT DISTINCT category, category_slug FROM entries").fetchall()
    for category, old in rows:
        new = category_slug(category)
        if new != old:
            db.execute("UPDATE entries SET category_slug = ? WHERE category = ?", (new, category))
            db.executemany("INSERT INTO pending_feeds VALUES (?) ON CONFLICT DO NOTHING",
                           [(old,), (new,), (ALL,)])


# Each migration takes the schema from version N to N+1: SQL, or a function for what SQL cannot
# say. Never edit one that has shipped: add the next.


MIGRATIONS: tuple[str | Callable[[Database], None], ...] = (
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
    """
    -- months ('YYYY-MM') whose archive page is not yet rewritten since their entries changed
    CREATE TABLE pending_months (month TEXT PRIMARY KEY);
    """,
    """
    -- an entry's picture (absolute URL) and its alt text, when its source gives one
    ALTER TABLE entries ADD COLUMN image TEXT NOT NULL DEFAULT '';
    ALTER TABLE entries ADD COLUMN image_alt TEXT NOT NULL DEFAULT '';
    -- the editorial (Markdown) an issue was frozen with, to tell when its file changed since
    ALTER TABLE issues ADD COLUMN intro TEXT NOT NULL DEFAULT '';
    """,
    """
    -- entries per month of listed day, kept by each merge: the archive's months without a scan
    CREATE TABLE month_counts (month TEXT PRIMARY KEY, entries INTEGER NOT NULL);
    INSERT INTO month_counts SELECT substr(day, 1, 7), COUNT(*) FROM entries GROUP BY 1;
    """,
    """
    -- which merge (a number counted up in meta 'merges') added an entry and which last saw it:
    -- a merge fed file by file tells its own rows from older ones (0 for rows stored before)
    ALTER TABLE entries ADD COLUMN added_in INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE entries ADD COLUMN seen_in INTEGER NOT NULL DEFAULT 0;
    """,
    """
    -- a listing file's size, times and inode when it was read (see `sources.stat_signature`):
    -- the same signature again means the same file, without reading it ('' for none)
    ALTER TABLE listing_files ADD COLUMN signature TEXT NOT NULL DEFAULT '';
    """,
    """
    -- the settings an issue was rendered with, as JSON {"digest.sender": repr, ...} ('' for
    -- issues frozen before): `digest` names those changed since
    ALTER TABLE issues ADD COLUMN settings TEXT NOT NULL DEFAULT '';
    -- why a source is suspect ('' when it is not), and the suspicion an alert went out about
    ALTER TABLE source_health ADD COLUMN suspect TEXT NOT NULL DEFAULT '';
    ALTER TABLE source_health ADD COLUMN alerted TEXT NOT NULL DEFAULT '';
    -- the figures of each listing's recent reads (see feedsmith.sources.health); suspect:
    -- why the read looked broken, '' for a normal one
    CREATE TABLE source_reads (listing TEXT NOT NULL, source TEXT NOT NULL,
                               read_at TEXT NOT NULL, items INTEGER NOT NULL,
                               left_out INTEGER NOT NULL, links INTEGER NOT NULL,
                               summaries INTEGER NOT NULL, categories INTEGER NOT NULL,
                               suspect TEXT NOT NULL, PRIMARY KEY (listing, read_at));
    """,
    """
    -- 1 when the listing gave no title and the title is the summary's first sentence: a title
    -- listed later replaces it (see feedsmith.store.merge)
    ALTER TABLE entries ADD COLUMN title_derived INTEGER NOT NULL DEFAULT 0;
    """,
    """
    -- item pages followed (`follow = true`), by URL: what each gave (see
    -- feedsmith.sources.article), when it was fetched and its validators; `refresh` 1 when it is
    -- to be fetched again (an edited item, `feedsmith refresh`); `failure` why it gave nothing
    -- ('' when it did). Column names differ from the entries' own: entries are read joined to it.
    CREATE TABLE articles (url TEXT PRIMARY KEY, fetched_at TEXT NOT NULL,
                           etag TEXT NOT NULL, last_modified TEXT NOT NULL,
                           refresh INTEGER NOT NULL, failure TEXT NOT NULL,
                           content TEXT NOT NULL, teaser TEXT NOT NULL,
                           lead_image TEXT NOT NULL, lead_image_alt TEXT NOT NULL,
                           page_published TEXT NOT NULL, page_modified TEXT NOT NULL,
                           author TEXT NOT NULL);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)

# Every table, each after those it refers to, with its key: the order `feedsmith store copy`
# copies them in.
TABLES = (("entries", "id"), ("aliases", "alias"), ("listing_files", "path"),
          ("pending_feeds", "slug"), ("pending_months", "month"), ("meta", "key"),
          ("month_counts", "month"), ("http_validators", "url"), ("source_health", "name"),
          ("source_reads", "listing, read_at"), ("articles", "url"),
          ("issues", "month"), ("issue_entries", "entry_id"),
          ("deliveries", "month, recipient"))


def statements(script: str) -> Iterator[str]:
    """The statements of a migration script, one at a time (run inside the migration's
    transaction; SQLite's executescript would COMMIT)."""
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            yield statement
            statement = ""
    if statement.strip(" \n;"):
        yield statement


def migrate(database: Database) -> None:
    """Bring a database's schema to this feedsmith's version. The version is read again once the
    migration lock is held, so several first runs at once migrate exactly once. A database of
    something else, or of a newer feedsmith, is refused and left as it is."""
    if check_version(database) == SCHEMA_VERSION:
        return
    with database.migrating():
        for number in range(check_version(database), SCHEMA_VERSION):
            step = MIGRATIONS[number]
            if callable(step):
                step(database)
            else:
                database.run_script(step)
            database.set_schema_version(number + 1)


def check_version(database: Database) -> int:
    version = database.schema_version()
    if version > SCHEMA_VERSION:
        raise StoreError(f"{database.where}: written by a newer feedsmith (schema {version}, "
                         f"this one knows {SCHEMA_VERSION}): upgrade feedsmith")
    if version == 0 and database.has_other_tables():
        raise StoreError(f"{database.where}: this {database.engine} database is not a "
                         "feedsmith store (it has other tables): check [store]; feedsmith does "
                         "not change it")
    return version
