"""The digest ledger: which period (a month or a week, see `feedsmith.period`; the tables call it
`month`) got which issue number, which entries each issue carries, and
which recipient each issue was delivered to. It is the only truth about what was sent.

Why an entry is in an issue: it is dated in the issue's month (or is a late arrival, see
`Ledger.select`), matches no exclude pattern, and no earlier issue carries it. `issue_entries`
makes "never in two issues" a constraint of the database, not a hope.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import NamedTuple
from zoneinfo import ZoneInfo

from feedsmith.entry import Entry
from feedsmith.errors import DigestError
from feedsmith.period import MONTHLY, Period
from feedsmith.store.database import Database, from_utc_text, utc_text
from feedsmith.store.rows import ENTRIES, ENTRY_SELECT, entry_from_row

_ISSUE_COLUMNS = "month, number, built_at, subject, html, web, text, eml, intro, settings"
# Delivery states. `sending`: handed over when the run stopped; `unknown`: the connection was lost
# before the server answered. Either may have arrived: neither is sent again unless asked.
SENT, SENDING, FAILED, UNKNOWN = "sent", "sending", "failed", "unknown"
OUTCOME_UNKNOWN = (SENDING, UNKNOWN)


class Rendered(NamedTuple):
    """An issue as it was frozen: the subject, parts and files every later run writes and sends
    (each copy sent gets its own To, Date and Message-ID around these parts)."""

    subject: str
    html: str  # the email's HTML part, within the size budget
    web: str  # the "view online" page: everything
    text: str
    eml: bytes = b""  # the ready-to-send message, addressed to every `to`


class IssueRecord(NamedTuple):
    period: str  # the period's key: "2023-11" or "2023-W47"
    number: int | None  # None: the period had nothing new and produced no issue
    built_at: datetime
    rendered: Rendered | None
    intro: str = ""  # the editorial's Markdown it was frozen with
    settings: str = ""  # the settings it was rendered with, as JSON (see `issue_settings`)


class Delivery(NamedTuple):
    """Where one recipient's copy stands (the table also keeps its Message-ID and when it last
    changed, for whoever reads the store)."""

    recipient: str
    state: str  # SENT, SENDING, FAILED or UNKNOWN
    attempts: int
    error: str


class Selection(NamedTuple):
    """What an issue for a month would carry."""

    main: list[Entry]  # dated in the month, newest first
    late: list[Entry]  # dated before it, first seen after the previous issue was built


class Ledger:
    """The ledger's tables of an open database (issues, issue_entries, deliveries); each method
    runs in its own transaction. It reads the store's `entries`, never writes them."""

    def __init__(self, database: Database, zone: ZoneInfo) -> None:
        self._db = database
        self._transaction = database.transaction
        self._zone = zone

    # --- issues ----------------------------------------------------------------------------

    def issue(self, period: str) -> IssueRecord | None:
        row = self._db.execute(f"SELECT {_ISSUE_COLUMNS} FROM issues WHERE month = ?",
                               (period,)).fetchone()
        return None if row is None else self._record(row)

    def issues(self) -> list[IssueRecord]:
        """Every numbered issue, oldest month first."""
        rows = self._db.execute(f"SELECT {_ISSUE_COLUMNS} FROM issues WHERE number IS NOT NULL")
        return sorted((self._record(row) for row in rows), key=lambda r: Period.parse(r.period))

    def _record(self, row: tuple[str, int | None, str, str, str, str, str, bytes, str, str]
                ) -> IssueRecord:
        period, number, built_at, subject, html, web, text, eml, intro, settings = row
        rendered = Rendered(subject, html, web, text, bytes(eml)) if number is not None else None
        return IssueRecord(period, number, from_utc_text(built_at, self._zone), rendered, intro,
                           settings)

    def select(self, period: str, lookback_months: int, exclude: tuple[str, ...]) -> Selection:
        """The entries an issue for `month` would carry.

        Main: dated in the period, not carried by any issue. Late arrivals: dated in the
        `lookback_months` before the period's month, first seen after the previous issue was
        built, not carried by any issue; the first issue has none. Titles matching `exclude` are
        left out.
        """
        span = Period.parse(period)
        start, end = span.start(self._zone), span.end(self._zone)
        main = self._uncarried("published >= ? AND published < ?", (utc_text(start), utc_text(end)))
        rows = self._db.execute("SELECT month, built_at FROM issues WHERE number IS NOT NULL")
        previous = max((built for key, built in rows if Period.parse(key) < span), default=None)
        late: list[Entry] = []
        if previous is not None and lookback_months > 0:
            since = Period.containing(span.first_day, MONTHLY).shifted(
                -lookback_months).start(self._zone)
            late = self._uncarried("published >= ? AND published < ? AND first_seen > ?",
                                   (utc_text(since), utc_text(start), previous))
        patterns = [re.compile(p, re.IGNORECASE) for p in exclude]

        def wanted(entry: Entry) -> bool:
            return not any(p.search(entry.title) for p in patterns)

        return Selection([e for e in main if wanted(e)], [e for e in late if wanted(e)])

    def _uncarried(self, where: str, params: tuple[str, ...]) -> list[Entry]:
        query = (f"SELECT {ENTRY_SELECT} FROM {ENTRIES} WHERE {where} AND id NOT IN "
                 f"(SELECT entry_id FROM issue_entries) ORDER BY published DESC, id DESC")
        return [entry_from_row(row, self._zone) for row in self._db.execute(query, params)]

    def has_issues(self) -> bool:
        """Whether any issue was built (the web edition then links the past issues)."""
        return bool(self._db.execute(
            "SELECT EXISTS (SELECT 1 FROM issues WHERE number IS NOT NULL)").fetchone()[0])

    def has_entries(self) -> bool:
        return bool(self._db.execute("SELECT EXISTS (SELECT 1 FROM entries)").fetchone()[0])

    def next_number(self, period: str, numbering: str, first: int) -> int:
        """Running numbers continue from the last issue (or `first`); yearly ones restart at 1."""
        if numbering == "yearly":
            count = self._db.execute("SELECT COUNT(*) FROM issues WHERE number IS NOT NULL AND "
                                     "substr(month, 1, 4) = ?", (period[:4],)).fetchone()[0]
            return int(count) + 1
        last = self._db.execute("SELECT MAX(number) FROM issues").fetchone()[0]
        return first if last is None else int(last) + 1

    def freeze(self, period: str, number: int, built_at: datetime, rendered: Rendered,
               selection: Selection, intro: str, settings: str) -> None:
        """Record an issue, its entries and its rendering: from now on it never changes."""
        with self._transaction() as db:
            db.execute(f"INSERT INTO issues ({_ISSUE_COLUMNS}) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (period, number, utc_text(built_at), rendered.subject, rendered.html,
                        rendered.web, rendered.text, rendered.eml, intro, settings))
            db.executemany("INSERT INTO issue_entries (entry_id, month, late) VALUES (?, ?, ?)",
                           [(e.id, period, 0) for e in selection.main]
                           + [(e.id, period, 1) for e in selection.late])

    def record_empty(self, period: str, built_at: datetime) -> None:
        """A month with nothing new: recorded, so that it is a decision and not an accident."""
        with self._transaction() as db:
            db.execute(f"INSERT INTO issues ({_ISSUE_COLUMNS}) "
                       "VALUES (?, NULL, ?, '', '', '', '', ?, '', '') ON CONFLICT (month) DO UPDATE "
                       "SET built_at = excluded.built_at WHERE issues.number IS NULL",
                       (period, utc_text(built_at), b""))

    def discard(self, period: str) -> None:
        """Forget an issue so that it can be built again; refused once any delivery happened."""
        if any(d.state in (SENT, SENDING) for d in self.deliveries(period)):
            raise DigestError(f"issue {period} has been sent (or may have been): it cannot be "
                                 "rebuilt; its ledger entry stays as it is")
        with self._transaction() as db:
            db.execute("DELETE FROM deliveries WHERE month = ?", (period,))
            db.execute("DELETE FROM issue_entries WHERE month = ?", (period,))
            db.execute("DELETE FROM issues WHERE month = ?", (period,))

    # --- deliveries ------------------------------------------------------------------------

    def deliveries(self, period: str) -> list[Delivery]:
        rows = self._db.execute("SELECT recipient, state, attempts, error FROM deliveries "
                                "WHERE month = ? ORDER BY recipient", (period,))
        return [Delivery(*row) for row in rows]

    def mark(self, period: str, recipient: str, state: str, message_id: str, now: datetime,
             error: str = "") -> None:
        """Record a delivery step at once (its own transaction): a crash loses no step."""
        with self._transaction() as db:
            db.execute(
                "INSERT INTO deliveries (month, recipient, state, attempts, message_id, "
                "changed_at, error) VALUES (?, ?, ?, 1, ?, ?, ?) "
                "ON CONFLICT (month, recipient) DO UPDATE SET state = excluded.state, "
                "attempts = deliveries.attempts + "
                "CASE WHEN excluded.state = 'sending' THEN 1 ELSE 0 END, "
                "message_id = excluded.message_id, changed_at = excluded.changed_at, "
                "error = excluded.error",
                (period, recipient, state, message_id, utc_text(now), error))

