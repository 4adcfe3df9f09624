"""The order of the newsletter stages: store -> ledger (select, freeze) -> digest files -> SMTP,
and `run-due`, which runs the feed build and then every digest that is due.

Kept apart from `pipeline` so that a feed build (the cron tick that runs every few minutes) does
not load the digest, mail and scheduler machinery.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import logging
import os
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

from feedsmith.config import Config
from feedsmith.errors import (
    ConfigError,
    DeliveryError,
    DigestError,
    FeedsmithError,
    OutcomeUnknown,
)
from feedsmith.newsletter.editorial import read_editorial
from feedsmith.newsletter.issue import (
    Layout,
    arrange,
    render_archive,
    render_issue,
    render_issues_feed,
)
from feedsmith.newsletter.ledger import (
    FAILED,
    OUTCOME_UNKNOWN,
    SENDING,
    SENT,
    UNKNOWN,
    Ledger,
    Rendered,
)
from feedsmith.newsletter.mail import compose, message_id, send, smtp_session
from feedsmith.period import Period
from feedsmith.pipeline import BuildReport, build
from feedsmith.records import field, mutable_record, replace
from feedsmith.schedule import MISFIRE_GRACE, Jobs, due_time
from feedsmith.store.engines import exclusive, open_database
from feedsmith.web.files import write_if_changed


@mutable_record
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
    unknown: list[str] = field(default_factory=list)  # outcome unknown before: not sent again
    failed: list[DeliveryError] = field(default_factory=list)
    preview: Path | None = None  # with dry_run: the would-be email HTML, in a temporary file
    editorial_changed: Path | None = None  # edited since the issue was frozen: not in it


def run_issue(config: Config, month: str, now: datetime, *, dry_run: bool = False,
              rebuild: bool = False, deliver: bool = False, force: bool = False,
              resend_unknown: bool = False, ignore_archive: bool = False,
              wait: float = 60) -> DigestReport:
    """Build (or reuse) the issue for `month`, write its files and, with `deliver`, send it.

    An issue is frozen in the ledger when first built: later runs write and send the same
    subject, parts and number (each copy sent has its own To, Date and Message-ID). `rebuild`
    discards an issue that nothing was sent of and selects it again. A month the ledger does not
    know but the published archive lists is refused unless `ignore_archive`: the store was
    probably replaced, and building it again would send it again.
    """
    period = Period.parse(month)
    if period.cadence != config.digest.cadence:
        raise DigestError(f"{month} is a {period.cadence[:-2]}, but [digest] cadence is "
                          f"{config.digest.cadence!r}: issues of one series cover the same kind "
                          "of period")
    period_end = period.end(config.site.timezone)
    if now < period_end and not dry_run:
        raise DigestError(f"{month} is not over until {period_end:%Y-%m-%d %H:%M %Z}: an issue "
                          f"holds a whole {period.cadence[:-2]} (--dry-run previews it)")
    with exclusive(config.store, wait), \
            open_database(config.store, create=False) as database:
        ledger = Ledger(database, config.site.timezone)
        record = ledger.issue(month)
        if record is None and not ledger.has_entries():
            raise DigestError(f"{config.store.where} holds no entries yet, so {month} would be "
                              "recorded as having nothing new: run `feedsmith build` first")
        if record is None and not dry_run and not ignore_archive:
            _refuse_if_published(config, month)
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
            editorial = read_editorial(config.digest.intros, month, config.digest.brand_color)
            if (editorial.markdown if editorial else "") != record.intro:
                report.editorial_changed = (editorial.path if editorial else
                                            (config.digest.intros or Path()) / f"{month}.md")
        assert record.rendered is not None and record.number is not None
        report.subject, report.html_bytes = record.rendered.subject, len(record.rendered.html)
        if dry_run:
            report.preview = _preview(month, record.rendered.html)
            return report
        report.written = _write_digest_files(ledger, config, record.month, record.rendered)
        if deliver:
            _deliver(ledger, config, record.month, record.number, record.rendered, now, force,
                     resend_unknown, report)
    return report


def _refuse_if_published(config: Config, month: str) -> None:
    """Defence in depth for the ledger: the published archive also says which issues exist."""
    folder = config.output.dir / "digest"
    evidence = ""
    if (folder / f"{month}.eml").exists():
        evidence = f"{folder / (month + '.eml')} exists"
    elif published_issue_title(folder / "issues.atom", config.site.id_authority, month):
        evidence = f"{folder / 'issues.atom'} lists it"
    if evidence:
        raise DigestError(
            f"the ledger in {config.store.where} has no issue for {month}, but it was published "
            f"before ({evidence}): the store was probably replaced or restored from an older "
            "copy, and building the issue again would number and send it again. Restore the "
            "store that sent it; or, to build and send it anew deliberately, run `feedsmith "
            f"digest {Period.parse(month).option} --ignore-archive`")


def published_issue_title(issues_feed: Path, authority: str, month: str) -> str:
    """The title under which the published issues feed lists `month`'s issue ("" if not)."""
    from lxml import etree

    try:
        root = etree.parse(str(issues_feed), etree.XMLParser(
            resolve_entities=False, no_network=True, load_dtd=False)).getroot()
    except (OSError, etree.XMLSyntaxError):
        return ""
    atom = "{http://www.w3.org/2005/Atom}"
    for entry in root.iter(f"{atom}entry"):
        if entry.findtext(f"{atom}id") == f"tag:{authority}:digest/{month}":
            return entry.findtext(f"{atom}title") or month
    return ""


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
    editorial = read_editorial(options.intros, month, options.brand_color)
    issue = render_issue(layout, number, month, config, editorial)
    to = options.to or (options.sender,)
    eml = compose(subject=issue.subject, text=issue.text, html=issue.html, digest=options, to=to,
                  msg_id=message_id(month, number, options.sender), date=now.astimezone(
                      config.site.timezone)).as_bytes()
    rendered = replace(issue, eml=eml)
    if not dry_run:
        ledger.freeze(month, number, now, rendered, selection,
                      editorial.markdown if editorial else "")
    return DigestReport(month, number, issue.subject, layout, created=not dry_run,
                        html_bytes=len(issue.html),
                        preview=_preview(month, issue.html) if dry_run else None)


def _preview(month: str, html: str) -> Path:
    """The email HTML in a temporary file, to open in a browser before anything is recorded."""
    handle, name = tempfile.mkstemp(prefix=f"feedsmith-{month}-", suffix=".html")
    with os.fdopen(handle, "w", encoding="utf-8") as file:
        file.write(html)
    return Path(name)


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
             now: datetime, force: bool, resend_unknown: bool, report: DigestReport) -> None:
    """Send to every recipient not yet sent to, recording each step as it happens.

    A recipient is marked `sending` just before the message itself goes out and `sent` once the
    server accepted it. A copy whose outcome is unknown (the connection was lost in between, or
    the run was killed there) is never sent again unless asked (`resend_unknown`, or `force` for
    everyone), and then with the same Message-ID. After a lost connection, the remaining
    recipients get a new one.
    """
    options = config.digest
    pending = _recipients(ledger, config, month, force, resend_unknown, report)
    with contextlib.ExitStack() as connections:
        session = None
        for index, recipient in enumerate(pending):
            msg_id = message_id(month, number, options.sender, recipient)
            if session is None:
                try:
                    session = connections.enter_context(smtp_session(options.smtp))
                except DeliveryError as error:  # no connection: the rest are not sent
                    for rest in pending[index:]:
                        ledger.mark(month, rest, FAILED,
                                    message_id(month, number, options.sender, rest), now,
                                    str(error))
                    report.failed.append(error)
                    return
            message = compose(subject=rendered.subject, text=rendered.text, html=rendered.html,
                              digest=options, to=[recipient], msg_id=msg_id,
                              date=now.astimezone(config.site.timezone))
            try:
                send(session, message, options.sender, recipient,
                     functools.partial(ledger.mark, month, recipient, SENDING, msg_id, now))
            except DeliveryError as error:
                state = UNKNOWN if isinstance(error, OutcomeUnknown) else FAILED
                ledger.mark(month, recipient, state, msg_id, now, str(error))
                report.failed.append(error)
                session = None if error.connection_lost else session
                continue
            ledger.mark(month, recipient, SENT, msg_id, now)
            report.sent.append(recipient)


def _recipients(ledger: Ledger, config: Config, month: str, force: bool, resend_unknown: bool,
                report: DigestReport) -> list[str]:
    """Who gets a copy this time: never tried or refused before; with `resend_unknown` those
    whose copy's fate is unknown; with `force` everyone. The report says who was left out."""
    if not config.digest.to:
        raise ConfigError(f"{config.path}: [digest] to: no recipients to send to")
    if not config.digest.unsubscribe and not config.digest.send_without_unsubscribe:
        raise ConfigError(
            f"{config.path}: [digest] unsubscribe is empty, so the issue is not sent: mail to a "
            "list needs a way out (Gmail and Yahoo require one-click unsubscribe for bulk mail). "
            "Add an https:// URL and/or a mailto: address, or, for a private list, set "
            "send_without_unsubscribe = true")
    states = {d.recipient: d.state for d in ledger.deliveries(month)}

    def wanted(recipient: str) -> bool:
        state = states.get(recipient)
        if force or state is None or state == FAILED:
            return True
        return state in OUTCOME_UNKNOWN and resend_unknown

    to = config.digest.to
    report.already_sent = [r for r in to if states.get(r) == SENT and not force]
    report.unknown = [r for r in to if states.get(r) in OUTCOME_UNKNOWN and not wanted(r)]
    return [r for r in to if wanted(r)]


log = logging.getLogger("feedsmith")


@mutable_record
class DuePlan:
    """Which digests a run-due at some moment does, and which missed ones it leaves (catch-up)."""

    build: list[str] = field(default_factory=list)  # months to build (and send), oldest first
    retry: list[str] = field(default_factory=list)  # built issues with undelivered recipients
    skipped: list[str] = field(default_factory=list)  # missed, left by the catch-up policy


@mutable_record
class DueReport:
    plan: DuePlan
    build: BuildReport | None = None
    build_error: str = ""
    digests: list[DigestReport] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def plan_due(config: Config, now: datetime) -> DuePlan:
    """Closed periods (months or weeks, by `[digest] cadence`) whose send time (the digest
    schedule's first fire in the following period) has passed, at most `max_lateness_days` ago,
    and that the ledger has no record of; and built issues in that window that some recipient
    still lacks. The catch-up policy picks among missed periods: "all" of them, the "latest"
    only (never one older than a period already done), or "none" (only a run within an hour of
    the send time does a period)."""
    schedule, zone = config.schedule, config.site.timezone
    trigger = Jobs.parse(schedule.build, schedule.digest, zone).digest
    window = timedelta(days=schedule.max_lateness_days)
    plan = DuePlan()
    due: list[str] = []
    newer_handled = False  # a newer month is in the ledger or due now: "latest" skips older ones
    with open_database(config.store) as database:
        ledger = Ledger(database, zone)
        current = Period.containing(now.astimezone(zone).date(), config.digest.cadence)
        for back in itertools.count(1):
            period = current.shifted(-back)
            month, month_end, next_end = period.key, period.end(zone), period.shifted(1).end(zone)
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
                # Unknown outcomes wait for the operator: only those never tried or refused.
                settled = {d.recipient for d in ledger.deliveries(month)
                           if d.state == SENT or d.state in OUTCOME_UNKNOWN}
                if set(config.digest.to) - settled:
                    plan.retry.insert(0, month)
            newer_handled = newer_handled or record is not None
    plan.build = due[::-1]  # oldest first
    return plan


def logged_build(config: Config, now: datetime, wait: float = 60) -> BuildReport:
    """A feed build that logs what it did: the unattended runs' (run-due, the service) build."""
    report = build(config, now, wait)
    log.info("build: %d new, %d updated, %d file(s) written", report.merge.new,
             report.merge.changed, len(report.written))
    for failure in report.failures:
        log.error("build: %s", failure)
    return report


def run_due(config: Config, now: datetime, wait: float = 60) -> DueReport:
    """Rebuild the feeds, then build and (when `[digest] to` is set) send every digest that is
    due. Idempotent: run it twice, or twice at once, and the work is done once."""
    report = DueReport(plan=DuePlan())
    try:
        report.build = logged_build(config, now, wait)
    except FeedsmithError as error:
        report.build_error = str(error)
        log.error("build failed: %s", error)
    report.plan = plan_due(config, now)
    for month in report.plan.skipped:
        log.warning("digest %s was missed and is skipped (catch_up = %s)", month,
                    config.schedule.catch_up)
    for month in report.plan.build + report.plan.retry:
        try:
            result = run_issue(config, month, now, deliver=bool(config.digest.to), wait=wait)
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
