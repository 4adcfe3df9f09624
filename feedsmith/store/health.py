"""The store's record of each source's health: the figures of each listing's recent reads, the
failed builds in a row, whether the source is suspect and why, and which alert went out about it
(see `feedsmith.sources.health` for the rules).

A suspect read is kept but marked, and later reads are judged against the unmarked ones: a
source that stays broken never becomes the new normal by itself. It stops being suspect after a
normal read, or when the operator accepts what it reads now (`accept`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple

from feedsmith.sources.health import KEPT_READS, ListingRead, failing, suspicion
from feedsmith.store.database import Database, utc_text

_READ_COLUMNS = "listing, source, items, left_out, links, summaries, categories"


class SourceState(NamedTuple):
    """A source that failed, is suspect, or was the subject of an alert."""

    name: str
    failures_in_row: int
    last_error: str
    suspect: str  # why it is suspect ("" when it is not)
    figures: str  # its last read's figures, for messages ("" when none)
    alerted: str  # the suspicion an alert went out about ("" when none is outstanding)

    @property
    def alert_due(self) -> bool:
        """Whether its state is not what the last alert said: newly suspect, or recovered."""
        return bool(self.suspect) != bool(self.alerted)

    def described(self) -> str:
        """What the build and `status` say of a suspect source, with what to do."""
        return (f"source {self.name!r} looks broken: {self.suspect}; last read: "
                f"{self.figures or 'none'}. What it reads now is held back, what it published "
                "stays in the feeds, and the newsletter holds its issues meanwhile. Check the "
                "page (`feedsmith check`); if what it reads now is right: `feedsmith sources "
                f"accept {self.name}`")


class SourceHealth:
    """The health tables of an open database (`source_health`, `source_reads`)."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def judge(self, read: ListingRead) -> str:
        """Why `read` looks broken against its listing's earlier normal reads, or ""."""
        return suspicion(read, self._history(read.listing))

    def record(self, names: Iterable[str], failed: dict[str, str], reads: list[ListingRead],
               held: dict[str, str], now: datetime) -> None:
        """One build's reads (`held`: those judged broken, and why) and failures; count each
        source's failed builds in a row (0 again once it is read)."""
        if not failed and not reads and not self._any():
            return  # all well, as before: no transaction, no fsync
        stamp = utc_text(now)
        states = {state.name: state for state in self.states()}
        with self._db.transaction() as db:
            fresh: dict[str, str] = {}  # source -> why its reads of this build are suspect
            for read in reads:
                why = held.get(read.listing) or (self.judge(read) if read.items == 0 else "")
                if why:
                    fresh[read.source] = fresh.get(read.source) or f"{read.listing}: {why}"
                elif read.source not in fresh:
                    fresh[read.source] = ""
                db.execute(f"INSERT INTO source_reads ({_READ_COLUMNS}, read_at, suspect) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (listing, read_at) DO "
                           "UPDATE SET items = excluded.items, left_out = excluded.left_out, "
                           "links = excluded.links, summaries = excluded.summaries, categories = "
                           "excluded.categories, suspect = excluded.suspect",
                           (*read, stamp, why))
                self._prune(read.listing)
            for name in names:
                old = states.get(name)
                count = (old.failures_in_row if old else 0) + 1 if name in failed else 0
                error = failed.get(name, "")
                suspect = fresh.get(name) or failing(count, error)
                if not suspect and name not in fresh and old:
                    suspect = old.suspect  # only a normal read ends an incident
                self._save(name, count, error, suspect, stamp, old.alerted if old else "")

    def _history(self, listing: str) -> list[ListingRead]:
        """The listing's earlier reads that were not suspect, oldest first."""
        rows = self._db.execute(f"SELECT {_READ_COLUMNS} FROM source_reads WHERE listing = ? "
                                "AND suspect = '' ORDER BY read_at", (listing,))
        return [ListingRead(*row) for row in rows]

    def _prune(self, listing: str) -> None:
        self._db.execute("DELETE FROM source_reads WHERE listing = ? AND read_at NOT IN (SELECT "
                         "read_at FROM source_reads WHERE listing = ? ORDER BY read_at DESC "
                         "LIMIT ?)", (listing, listing, KEPT_READS))

    def _save(self, name: str, failures: int, error: str, suspect: str, stamp: str,
              alerted: str) -> None:
        if not (failures or suspect or alerted):
            self._db.execute("DELETE FROM source_health WHERE name = ?", (name,))
            return
        self._db.execute(
            "INSERT INTO source_health (name, failures_in_row, last_error, changed_at, suspect, "
            "alerted) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
            "failures_in_row = excluded.failures_in_row, last_error = excluded.last_error, "
            "changed_at = excluded.changed_at, suspect = excluded.suspect, "
            "alerted = excluded.alerted", (name, failures, error, stamp, suspect, alerted))

    def _any(self) -> bool:
        return self._db.execute("SELECT 1 FROM source_health LIMIT 1").fetchone() is not None

    def states(self) -> list[SourceState]:
        """Every source that failed, is suspect or has an alert outstanding, by name."""
        rows = self._db.execute("SELECT name, failures_in_row, last_error, suspect, alerted "
                                "FROM source_health ORDER BY name").fetchall()
        return [SourceState(name, count, error, suspect, self._figures(name), alerted)
                for name, count, error, suspect, alerted in rows]

    def suspects(self) -> list[SourceState]:
        return [state for state in self.states() if state.suspect]

    def suspect_listings(self) -> set[str]:
        """The listings of suspect sources: read again at every build, changed or not, so that
        one that is back to normal is seen to be (`feedsmith.pipeline`)."""
        if not self._any():
            return set()
        rows = self._db.execute("SELECT DISTINCT listing FROM source_reads WHERE source IN "
                                "(SELECT name FROM source_health WHERE suspect != '')")
        return {listing for (listing,) in rows}

    def _figures(self, name: str) -> str:
        row = self._db.execute(f"SELECT {_READ_COLUMNS} FROM source_reads WHERE source = ? "
                               "ORDER BY read_at DESC LIMIT 1", (name,)).fetchone()
        return ListingRead(*row).figures() if row else ""

    def accept(self, name: str, now: datetime) -> bool:
        """The operator says the source reads right now: its latest read of each listing is
        the new normal, and it is no longer suspect. False if it was not suspect."""
        state = next((s for s in self.states() if s.name == name), None)
        if state is None or not state.suspect:
            return False
        with self._db.transaction() as db:
            db.execute("DELETE FROM source_reads WHERE source = ? AND read_at < (SELECT "
                       "MAX(read_at) FROM source_reads AS newest WHERE newest.listing = "
                       "source_reads.listing)", (name,))
            db.execute("UPDATE source_reads SET suspect = '' WHERE source = ?", (name,))
            self._save(name, 0, "", "", utc_text(now), state.alerted)
        return True

    def mark_alerted(self, name: str, suspect: str) -> None:
        """An alert went out: about `suspect`, or (with "") that the source recovered."""
        with self._db.transaction() as db:
            db.execute("UPDATE source_health SET alerted = ? WHERE name = ?", (suspect, name))
            db.execute("DELETE FROM source_health WHERE name = ? AND failures_in_row = 0 AND "
                       "suspect = '' AND alerted = ''", (name,))
