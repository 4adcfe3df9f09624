"""The one place that knows the order of the stages:
sources -> store (merge) -> stale feeds, index and OPML -> files.

A build holds the store's lock from start to end. Only feeds the merge made stale are rendered,
all of them in memory before the first write, so a failing render leaves the published folder as it
was; a build killed while writing leaves the feeds pending in the store for the next build.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from importlib.resources import files
from pathlib import Path

from feedsmith import __version__
from feedsmith.config import Config
from feedsmith.digest import Layout, arrange, render_archive, render_issue, render_issues_feed
from feedsmith.discovery import render_index, render_opml
from feedsmith.entry import ALL, Feed
from feedsmith.errors import ConfigError, FeedsmithError, Problem, SourceError
from feedsmith.feeds import render_atom, render_rss
from feedsmith.files import remove_stale_temp_files, write_if_changed
from feedsmith.ledger import (
    FAILED,
    SENDING,
    SENT,
    Ledger,
    Rendered,
    add_months,
    month_of,
    month_start,
)
from feedsmith.mail import DeliveryError, compose, message_id, send, smtp_session
from feedsmith.schedule import MISFIRE_GRACE, crontab, due_time
from feedsmith.sources import read_sources
from feedsmith.store import MergeResult, Store, exclusive, open_store

INDEX_FILES = ("index.html", "feeds.opml")


@dataclass(slots=True)
class BuildReport:
    """What a build did, for the CLI's summary and for `status`."""

    sources: int
    files_read: int
    files_unchanged: int
    merge: MergeResult
    stored: int  # entries in the store after the build
    problems: list[Problem] = field(default_factory=list)
    failures: list[SourceError] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def build(config: Config, now: datetime, wait: float = 60) -> BuildReport:
    """Merge what the sources show into the store, then write the feeds that are stale."""
    with exclusive(config.store.path, wait), open_store(config.store.path) as store:
        harvest = read_sources(config.sources, config.site, store.file_fingerprints(),
                               config.fetch, store.http_validators())
        store.record_health([s.name for s in config.sources], harvest.failed_sources, now)
        if harvest.failures and not (harvest.files_read or harvest.files_unchanged):
            reasons = "; ".join(str(f) for f in harvest.failures)
            _record_build(store, now, harvest.failures, ok=False)
            raise SourceError(f"nothing could be read, the feeds are left as they were: {reasons}")
        merge = store.merge(harvest.entries, harvest.fingerprints, now, harvest.validators)
        report = BuildReport(sources=len(config.sources), files_read=harvest.files_read,
                             files_unchanged=harvest.files_unchanged, merge=merge, stored=0,
                             problems=harvest.problems, failures=harvest.failures)
        fingerprint = render_fingerprint(config)
        stale = _stale_feeds(store, config, fingerprint)
        if stale:
            feeds = store.feeds(config.site.timezone, config.output.max_entries)
            report.stored = feeds[0].total
            # A category whose last entry moved away is written empty rather than left stale.
            emptied = [Feed(slug, slug, (), 0) for slug in sorted(stale - {f.slug for f in feeds})]
            outputs = render_outputs([f for f in feeds if f.slug in stale] + emptied, feeds, config)
            report.written, report.unchanged = publish(outputs, config.output.dir)
            store.published(fingerprint, [feed.slug for feed in feeds])
        else:
            report.stored = store.count()
        _record_build(store, now, harvest.failures, ok=True, report=report)
    return report


def _record_build(store: Store, now: datetime, failures: list[SourceError], ok: bool,
                  report: BuildReport | None = None) -> None:
    """What `feedsmith status` says about the last build."""
    summary: dict[str, object] = {"at": now.isoformat(), "ok": ok,
                                  "failures": [str(f) for f in failures]}
    if report is not None:
        summary |= {"files_read": report.files_read, "files_unchanged": report.files_unchanged,
                    "new": report.merge.new, "changed": report.merge.changed,
                    "stored": report.stored, "warnings": len(report.problems),
                    "written": len(report.written)}
    store.set_meta("last_build", json.dumps(summary))


def _stale_feeds(store: Store, config: Config, fingerprint: str) -> set[str]:
    """Feeds to write: those the store marks pending, all of them when the way feeds are rendered
    changed (config, templates, feedsmith version), and any whose file has gone missing."""
    pending = store.pending_feeds()  # includes categories emptied by a relabel
    if store.get_meta("render_fingerprint") != fingerprint:
        return {ALL, *store.feed_slugs()} | pending
    out = config.output.dir
    missing = {slug for slug in store.published_feeds()
               if not (out / f"{slug}.rss").exists() or not (out / f"{slug}.atom").exists()}
    if any(not (out / name).exists() for name in INDEX_FILES):
        missing.add(ALL)
    return pending | missing


def render_fingerprint(config: Config) -> str:
    """Everything besides the entries that shapes the published files."""
    site = config.site
    template = (files("feedsmith.templates") / "index.html.j2").read_bytes()
    settings = "\x1f".join((__version__, site.title, site.link, site.base_url, site.language,
                            site.author_name, site.author_email, site.id_authority,
                            site.timezone.key, str(config.output.max_entries)))
    return hashlib.sha256(settings.encode() + template).hexdigest()


def render_outputs(stale: list[Feed], every_feed: list[Feed], config: Config) -> dict[str, bytes]:
    """The stale feeds in both formats, and the index and OPML (which list every feed)."""
    site = config.site
    outputs: dict[str, bytes] = {}
    for feed in stale:
        outputs[feed.rss_name] = render_rss(feed, site)
        outputs[feed.atom_name] = render_atom(feed, site)
    outputs["index.html"] = render_index(every_feed, site, config.output.max_entries)
    outputs["feeds.opml"] = render_opml(every_feed, site)
    return outputs


def publish(outputs: dict[str, bytes], folder: Path) -> tuple[list[str], list[str]]:
    """Write what changed; return the names written and the names left untouched."""
    remove_stale_temp_files(folder)
    written: list[str] = []
    unchanged: list[str] = []
    for name, data in outputs.items():
        (written if write_if_changed(folder / name, data) else unchanged).append(name)
    return written, unchanged


# --- the monthly digest ---------------------------------------------------------------------


@dataclass(slots=True)
class DigestReport:
    """What `digest` did or, with dry_run, would do."""

    month: str
    number: int | None  # None: no issue (nothing new)
    subject: str = ""
    layout: Layout | None = None  # only when the issue was selected in this run
    created: bool = False  # frozen in this run (else it already existed)
    html_bytes: int = 0
    written: list[str] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)
    already_sent: list[str] = field(default_factory=list)
    failed: list[DeliveryError] = field(default_factory=list)


def digest(config: Config, month: str, now: datetime, *, dry_run: bool = False,
           rebuild: bool = False, send: bool = False, force: bool = False,
           wait: float = 60) -> DigestReport:
    """Build (or reuse) the issue for `month`, write its files and, with `send`, deliver it.

    An issue is frozen in the ledger when first built; later runs write and send exactly those
    bytes. `rebuild` discards an issue that nothing was sent of and selects it again.
    """
    month_end = month_start(add_months(month, 1), config.site.timezone)
    if now < month_end and not dry_run:
        raise FeedsmithError(f"{month} is not over until {month_end:%Y-%m-%d %H:%M %Z}: an issue "
                             "holds a whole month (--dry-run previews it)")
    with exclusive(config.store.path, wait), open_store(config.store.path) as store:
        ledger = Ledger(store, config.site.timezone)
        record = ledger.issue(month)
        if record is not None and (rebuild or record.number is None) and not dry_run:
            ledger.discard(month)
            record = None
        if record is None or record.number is None:
            report = _new_issue(ledger, config, month, now, dry_run)
            if dry_run or report.number is None:
                return report
            record = ledger.issue(month)
            assert record is not None
        else:
            report = DigestReport(month, record.number, created=False)
        assert record.rendered is not None and record.number is not None
        report.subject, report.html_bytes = record.rendered.subject, len(record.rendered.html)
        if dry_run:
            return report
        report.written = _write_digest_files(ledger, config, record.month, record.rendered)
        if send:
            _deliver(ledger, config, record.month, record.number, record.rendered, now, force,
                     report)
    return report


def _new_issue(ledger: Ledger, config: Config, month: str, now: datetime,
               dry_run: bool) -> DigestReport:
    options = config.digest
    selection = ledger.select(month, options.lookback_months, options.exclude)
    layout = arrange(selection.main, selection.late, options.sections, options.lead_category)
    if layout.count == 0 and options.skip_empty:
        if not dry_run:
            ledger.record_empty(month, now)
        return DigestReport(month, None, layout=layout)
    number = ledger.next_number(month, options.numbering, options.first_number)
    issue = render_issue(layout, number, month, config)
    to = options.to or (options.sender,)
    eml = compose(subject=issue.subject, text=issue.text, html=issue.html, digest=options, to=to,
                  msg_id=message_id(month, number, options.sender), date=now.astimezone(
                      config.site.timezone)).as_bytes()
    rendered = Rendered(issue.subject, issue.html, issue.web, issue.text, eml)
    if not dry_run:
        ledger.freeze(month, number, now, rendered, selection)
    return DigestReport(month, number, issue.subject, layout, created=not dry_run,
                        html_bytes=len(issue.html))


def _write_digest_files(ledger: Ledger, config: Config, month: str,
                        rendered: Rendered) -> list[str]:
    """The issue's web page, text and .eml, and the archive page and Atom feed of all issues."""
    folder = config.output.dir / "digest"
    issues = [(r.month, r.number) for r in reversed(ledger.issues()) if r.number is not None]
    outputs = {
        f"{month}.html": rendered.web.encode("utf-8"),
        f"{month}.txt": rendered.text.encode("utf-8"),
        f"{month}.eml": rendered.eml,
        "index.html": render_archive(issues, config),
        "issues.atom": render_issues_feed(ledger.issues(), config),
    }
    return [f"digest/{name}" for name, data in outputs.items()
            if write_if_changed(folder / name, data)]


def _deliver(ledger: Ledger, config: Config, month: str, number: int, rendered: Rendered,
             now: datetime, force: bool, report: DigestReport) -> None:
    """Send to every recipient not yet sent to (all of them with `force`), recording each step
    before and after it happens, so a crash can neither lose a send nor repeat an accepted one
    (a crash between the server's acceptance and the record repeats it, same Message-ID)."""
    options = config.digest
    done = {d.recipient for d in ledger.deliveries(month) if d.state == SENT}
    recipients = list(options.to)
    if not recipients:
        raise ConfigError(f"{config.path}: [digest] to: no recipients to send to")
    report.already_sent = [] if force else [r for r in recipients if r in done]
    pending = [r for r in recipients if force or r not in done]
    if not pending:
        return
    attempted: set[str] = set()
    try:
        with smtp_session(options.smtp) as session:
            for recipient in pending:
                attempted.add(recipient)
                msg_id = message_id(month, number, options.sender, recipient)
                ledger.mark(month, recipient, SENDING, msg_id, now)
                message = compose(subject=rendered.subject, text=rendered.text, html=rendered.html,
                                  digest=options, to=[recipient], msg_id=msg_id,
                                  date=now.astimezone(config.site.timezone))
                try:
                    send(session, message, options.sender, recipient)
                except DeliveryError as error:
                    ledger.mark(month, recipient, FAILED, msg_id, now, str(error))
                    report.failed.append(error)
                    continue
                ledger.mark(month, recipient, SENT, msg_id, now)
                report.sent.append(recipient)
    except DeliveryError as error:  # no connection: the recipients not yet tried all failed
        for recipient in pending:
            if recipient not in attempted:
                msg_id = message_id(month, number, options.sender, recipient)
                ledger.mark(month, recipient, FAILED, msg_id, now, str(error))
        report.failed.append(error)


# --- run-due: everything that is due, once -------------------------------------------------

log = logging.getLogger("feedsmith")


@dataclass(slots=True)
class DuePlan:
    """Which digests a run-due at some moment does, and which missed ones it leaves (catch-up)."""

    build: list[str] = field(default_factory=list)  # months to build (and send), oldest first
    retry: list[str] = field(default_factory=list)  # built issues with undelivered recipients
    skipped: list[str] = field(default_factory=list)  # missed, left by the catch-up policy


@dataclass(slots=True)
class DueReport:
    plan: DuePlan
    build: BuildReport | None = None
    build_error: str = ""
    digests: list[DigestReport] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def plan_due(config: Config, now: datetime) -> DuePlan:
    """Closed months whose send time (the digest schedule's first fire in the following month)
    has passed, at most `max_lateness_days` ago, and that the ledger has no record of; and built
    issues in that window that some recipient still lacks. The catch-up policy picks among
    missed months: "all" of them, the "latest" only (never one older than a month already
    done), or "none" (only a run within an hour of the send time does a month)."""
    schedule, zone = config.schedule, config.site.timezone
    trigger = crontab(schedule.digest, zone, "digest")
    window = timedelta(days=schedule.max_lateness_days)
    plan = DuePlan()
    due: list[str] = []
    newer_handled = False  # a newer month is in the ledger or due now: "latest" skips older ones
    with open_store(config.store.path) as store:
        ledger = Ledger(store, zone)
        current = month_of(now.astimezone(zone).date())
        for back in itertools.count(1):
            month = add_months(current, -back)
            month_end, next_end = (month_start(add_months(month, n), zone) for n in (1, 2))
            if next_end < now - window:
                break  # any send time of this month or older is past the lateness window
            when = due_time(trigger, month_end)
            if when is None or when >= next_end or when > now or now - when > window:
                continue  # no send time in the following month, not yet due, or too late
            record = ledger.issue(month)
            if record is None:
                late = now - when > MISFIRE_GRACE
                if (schedule.catch_up == "none" and late) or (
                        schedule.catch_up == "latest" and newer_handled):
                    plan.skipped.append(month)
                else:
                    due.append(month)
                newer_handled = True
            elif record.number is not None and config.digest.to:
                sent = {d.recipient for d in ledger.deliveries(month) if d.state == SENT}
                if set(config.digest.to) - sent:
                    plan.retry.insert(0, month)
            newer_handled = newer_handled or record is not None
    plan.build = due[::-1]  # oldest first
    return plan


def run_due(config: Config, now: datetime, wait: float = 60) -> DueReport:
    """Rebuild the feeds, then build and (when `[digest] to` is set) send every digest that is
    due. Idempotent: run it twice, or twice at once, and the work is done once."""
    report = DueReport(plan=DuePlan())
    try:
        report.build = build(config, now, wait)
        log.info("build: %d new, %d updated, %d file(s) written", report.build.merge.new,
                 report.build.merge.changed, len(report.build.written))
        for failure in report.build.failures:
            log.error("build: %s", failure)
    except FeedsmithError as error:
        report.build_error = str(error)
        log.error("build failed: %s", error)
    report.plan = plan_due(config, now)
    for month in report.plan.skipped:
        log.warning("digest %s was missed and is skipped (catch_up = %s)", month,
                    config.schedule.catch_up)
    for month in report.plan.build + report.plan.retry:
        try:
            result = digest(config, month, now, send=bool(config.digest.to), wait=wait)
        except FeedsmithError as error:
            report.errors.append(f"digest {month}: {error}")
            log.error("digest %s: %s", month, error)
            continue
        report.digests.append(result)
        if result.number is None:
            log.info("digest %s: nothing new, no issue (recorded)", month)
        else:
            log.info("digest %s: %s; sent to %d, %d already had it", month, result.subject,
                     len(result.sent), len(result.already_sent))
        for problem in result.failed:
            report.errors.append(f"digest {month}: {problem}")
            log.error("digest %s: %s", month, problem)
    return report
