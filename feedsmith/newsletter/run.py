"""One issue of the newsletter, step by step: select what is new in the period, freeze the
issue in the ledger (number, rendered parts), write its files under <output>/digest/, and send
it (`delivery`). `run_issue` chains the steps as `feedsmith digest` asks.

An issue is frozen when first built: later runs write and send the same subject, parts and
number (each copy sent has its own To, Date and Message-ID).
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from feedsmith.config import Config
from feedsmith.config.fingerprint import issue_settings
from feedsmith.errors import DigestError
from feedsmith.newsletter.delivery import (
    Deliveries,
    Resend,
    check_frozen_sendable,
    check_sendable,
    deliver,
)
from feedsmith.newsletter.editorial import read_editorial
from feedsmith.newsletter.issue import (
    Layout,
    arrange,
    render_archive,
    render_issue,
    render_issues_feed,
    with_neighbours,
)
from feedsmith.newsletter.ledger import FAILED, IssueRecord, Ledger, Selection
from feedsmith.newsletter.mail import compose, message_id
from feedsmith.period import Period
from feedsmith.store.engines import exclusive, open_database
from feedsmith.store.health import SourceHealth
from feedsmith.web.files import write_if_changed

# The published copy's To: the archive is public, and no subscriber's address belongs in it.
UNDISCLOSED = "undisclosed-recipients:;"


class IssueRequest(NamedTuple):
    """What `feedsmith digest` asks beyond building the period's issue."""

    dry_run: bool = False  # select and render, record nothing, write a preview
    rebuild: bool = False  # discard an unsent issue and select it again
    deliver: bool = False
    resend: Resend = Resend()
    # Build an issue the ledger lacks though the published archive lists it (a replaced store).
    ignore_archive: bool = False
    accept_suspect: bool = False  # freeze and send even while a source is suspect


@dataclass(slots=True)
class DigestReport:
    """What `digest` did or, with dry_run, would do."""

    period: str  # its key: "2023-11" or "2023-W47"
    number: int | None  # None: no issue (nothing new)
    subject: str = ""
    layout: Layout | None = None  # only when the issue was selected in this run
    created: bool = False  # frozen in this run (else it already existed)
    html_bytes: int = 0
    written: list[str] = field(default_factory=list)
    delivery: Deliveries = field(default_factory=Deliveries)  # with `deliver`: who got it
    preview: Path | None = None  # with dry_run: the would-be email HTML, in a temporary file
    editorial_changed: Path | None = None  # edited since the issue was frozen: not in it
    settings_changed: tuple[str, ...] = ()  # settings changed since it was frozen ("digest.logo")
    sent_before: bool = False  # a copy of it was (or may have been) sent before this run


def run_issue(config: Config, period: str, now: datetime,
              request: IssueRequest | None = None, wait: float = 60) -> DigestReport:
    """Build (or reuse) the issue for `period`, write its files and, if asked (`request`), send
    it."""
    request = request or IssueRequest()
    _check_closed(config, period, now, request.dry_run)
    if request.deliver and not request.dry_run:
        check_sendable(config)  # before anything is numbered, frozen or written
    with exclusive(config.store, wait), \
            open_database(config.store, create=False) as database:
        ledger = Ledger(database, config.site.timezone)
        frozen = ledger.issue(period)
        if not request.dry_run and (request.deliver or request.rebuild or frozen is None
                                    or frozen.number is None):  # before a rebuild discards it
            _hold_if_suspect(SourceHealth(database), config, period, request)
        issue = _issue_to_reuse(ledger, config, period, request)
        if issue is None:
            report, issue = select_and_freeze(ledger, config, period, now, request.dry_run)
            if issue is None:
                return report  # nothing new, or a dry run
        else:
            report = _reused(issue, config, ledger)
            if request.deliver:
                check_frozen_sendable(config, issue)
        assert issue.rendered is not None
        report.subject, report.html_bytes = issue.rendered.subject, len(issue.rendered.html)
        if request.dry_run:
            report.preview = _preview(period, issue.rendered.html)
            return report
        report.written = write_issue_files(ledger, config, issue)
        if request.deliver:
            deliver(ledger, config, issue, now, request.resend, report.delivery)
    return report


def _hold_if_suspect(health: SourceHealth, config: Config, period: str,
                     request: IssueRequest) -> None:
    """An issue is neither frozen nor sent while a source looks broken: it would go out thin,
    and nobody would be told why (`[digest] hold_when_suspect`, `--accept-suspect`)."""
    if not config.digest.hold_when_suspect or request.accept_suspect:
        return
    suspects = health.suspects()
    if suspects:
        named = "; ".join(f"{s.name!r}: {s.suspect}" for s in suspects)
        option = Period.parse(period).option
        raise DigestError(
            f"issue {period} is held while a source looks broken ({named}). Fix the source, or "
            f"accept what it reads now (`feedsmith sources accept NAME`), and the next run "
            f"sends it; or send it as it is: `feedsmith digest {option} --send "
            "--accept-suspect`")


def _check_closed(config: Config, period: str, now: datetime, dry_run: bool) -> None:
    """An issue covers one whole period of the series' cadence (a dry run may preview one)."""
    span = Period.parse(period)
    if span.cadence != config.digest.cadence:
        raise DigestError(f"{period} is a {span.cadence[:-2]}, but [digest] cadence is "
                          f"{config.digest.cadence!r}: issues of one series cover the same kind "
                          "of period")
    span_end = span.end(config.site.timezone)
    if now < span_end and not dry_run:
        raise DigestError(f"{period} is not over until {span_end:%Y-%m-%d %H:%M %Z}: an issue "
                          f"holds a whole {span.cadence[:-2]} (--dry-run previews it)")


def _issue_to_reuse(ledger: Ledger, config: Config, period: str,
                    request: IssueRequest) -> IssueRecord | None:
    """The frozen issue of `period`, or None where one is to be selected: none yet, one with
    nothing new recorded, or (with `rebuild`) one nothing was sent of. A period the ledger does
    not know but the published archive lists is refused unless `ignore_archive`: the store was
    probably replaced, and building it again would send it again."""
    issue = ledger.issue(period)
    if issue is None and not ledger.has_entries():
        raise DigestError(f"{config.store.where} holds no entries yet, so {period} would be "
                          "recorded as having nothing new: run `feedsmith build` first")
    if issue is None and not request.dry_run and not request.ignore_archive:
        _refuse_if_published(config, period)
    if issue is not None and (request.rebuild or issue.number is None) and not request.dry_run:
        ledger.discard(period)
        return None
    return None if issue is None or issue.number is None else issue


def _reused(issue: IssueRecord, config: Config, ledger: Ledger) -> DigestReport:
    """The report of an issue built before, noting an editorial edited and settings changed
    since (neither is used: the issue is frozen)."""
    report = DigestReport(issue.period, issue.number, created=False)
    report.sent_before = any(d.state != FAILED for d in ledger.deliveries(issue.period))
    if issue.settings:
        frozen: dict[str, str] = json.loads(issue.settings)
        now = issue_settings(config)
        report.settings_changed = tuple(name for name in sorted(now)
                                        if name in frozen and frozen[name] != now[name])
    options = config.digest
    editorial = read_editorial(options.intros, issue.period, options.brand_color)
    if (editorial.markdown if editorial else "") != issue.intro:
        report.editorial_changed = (editorial.path if editorial else
                                    (options.intros or Path()) / f"{issue.period}.md")
    return report


def select(ledger: Ledger, config: Config, period: str) -> tuple[Selection, Layout]:
    """What the period's issue would carry, in the order it shows it."""
    options = config.digest
    selection = ledger.select(period, options.lookback_months, options.exclude)
    return selection, arrange(selection.main, selection.late, options.sections,
                              options.lead_category)


def select_and_freeze(ledger: Ledger, config: Config, period: str, now: datetime,
                      dry_run: bool) -> tuple[DigestReport, IssueRecord | None]:
    """Select the period's entries, number and render the issue, and freeze it in the ledger
    (with `dry_run`, nothing is recorded and no issue is returned)."""
    options = config.digest
    selection, layout = select(ledger, config, period)
    if layout.item_count == 0 and options.skip_empty:
        if not dry_run:
            ledger.record_empty(period, now)
        return DigestReport(period, None, layout=layout), None
    number = ledger.next_number(period, options.numbering, options.first_number)
    editorial = read_editorial(options.intros, period, options.brand_color)
    issue = render_issue(layout, number, period, config, editorial)
    eml = compose(subject=issue.subject, text=issue.text, html=issue.html, digest=options,
                  to=(UNDISCLOSED,),
                  msg_id=message_id(period, number, options.sender),
                  date=now.astimezone(config.site.timezone)).as_bytes()
    report = DigestReport(period, number, issue.subject, layout, created=not dry_run,
                          html_bytes=len(issue.html))
    if dry_run:
        report.preview = _preview(period, issue.html)
        return report, None
    ledger.freeze(period, number, now, issue._replace(eml=eml), selection,
                  editorial.markdown if editorial else "",
                  json.dumps(issue_settings(config), sort_keys=True))
    return report, ledger.issue(period)


def _refuse_if_published(config: Config, period: str) -> None:
    """Defence in depth for the ledger: the published archive also says which issues exist."""
    folder = config.output.dir / "digest"
    evidence = ""
    if (folder / f"{period}.eml").exists():
        evidence = f"{folder / (period + '.eml')} exists"
    elif published_issue_title(folder / "issues.atom", config.site.id_authority, period):
        evidence = f"{folder / 'issues.atom'} lists it"
    if evidence:
        raise DigestError(
            f"the ledger in {config.store.where} has no issue for {period}, but it was published "
            f"before ({evidence}): the store was probably replaced or restored from an older "
            "copy, and building the issue again would number and send it again. Restore the "
            "store that sent it; or, to build and send it anew deliberately, run `feedsmith "
            f"digest {Period.parse(period).option} --ignore-archive`")


def published_issue_title(issues_feed: Path, authority: str, period: str) -> str:
    """The title under which the published issues feed lists `period`'s issue ("" if not)."""
    from lxml import etree

    try:
        root = etree.parse(str(issues_feed), etree.XMLParser(
            resolve_entities=False, no_network=True, load_dtd=False)).getroot()
    except (OSError, etree.XMLSyntaxError):
        return ""
    atom = "{http://www.w3.org/2005/Atom}"
    for entry in root.iter(f"{atom}entry"):
        if entry.findtext(f"{atom}id") == f"tag:{authority}:digest/{period}":
            return entry.findtext(f"{atom}title") or period
    return ""


def _preview(period: str, html: str) -> Path:
    """The email HTML in a temporary file, to open in a browser before anything is recorded."""
    handle, name = tempfile.mkstemp(prefix=f"feedsmith-{period}-", suffix=".html")
    with os.fdopen(handle, "w", encoding="utf-8") as file:
        file.write(html)
    return Path(name)


def write_issue_files(ledger: Ledger, config: Config, issue: IssueRecord) -> list[str]:
    """The issue's web page, text and .eml, every issue's web page again (its links to the
    issues before and after it), and the archive page and Atom feed of all issues."""
    folder, period, rendered = config.output.dir / "digest", issue.period, issue.rendered
    assert rendered is not None, "only a numbered issue has files"
    numbered = [r for r in ledger.issues() if r.number is not None and r.rendered is not None]
    keys = [(r.period, r.number) for r in numbered if r.number is not None]  # oldest first
    outputs: dict[str, bytes] = {}
    for at, record in enumerate(numbered):
        assert record.rendered is not None
        outputs[f"{record.period}.html"] = with_neighbours(
            record.rendered.web, keys[at - 1] if at else None,
            keys[at + 1] if at + 1 < len(keys) else None, config)
    outputs |= {
        f"{period}.txt": rendered.text.encode("utf-8"),
        f"{period}.eml": rendered.eml,
        "index.html": render_archive(keys[::-1], config),
        "issues.atom": render_issues_feed(numbered, config),
    }
    return [f"digest/{name}" for name, data in outputs.items()
            if write_if_changed(folder / name, data)]
