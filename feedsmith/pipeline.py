"""The order of the feed stages: sources -> store (merge) -> stale feeds and pages -> files.
(The unattended runs, a build then every newsletter issue that is due, are chained in
`feedsmith.unattended`: most cron ticks only build, and do not load the newsletter.)

A build holds the store's lock from start to end. Only feeds and archive months the merge made
stale are rendered (with the home page, OPML and stylesheets; see `publish`), each staged in a
temp file before the first is renamed into place, so a failing render leaves the published
folder as it was; a build killed while writing leaves the feeds pending in the store for the
next build.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from feedsmith import __version__, templates
from feedsmith.config import Config
from feedsmith.config.fingerprint import render_settings
from feedsmith.errors import OutputError, Problem, SourceError
from feedsmith.identity import ALL, ARCHIVE, archive_page
from feedsmith.newsletter.ledger import Ledger
from feedsmith.sources.harvest import read_sources
from feedsmith.store.database import Database
from feedsmith.store.engines import exclusive, open_database
from feedsmith.store.health import SourceHealth, SourceState
from feedsmith.store.merge import MergeResult
from feedsmith.store.queries import Store
from feedsmith.web.feeds import Feed
from feedsmith.web.pages import STYLESHEETS, neighbours

if TYPE_CHECKING:
    from feedsmith.sources.fetch import Web

# Rewritten with any stale feed: they list every feed or month.
SITE_FILES = ("index.html", f"{ARCHIVE}/index.html", "feeds.opml", *STYLESHEETS)


class BuildReport(NamedTuple):
    """What a build did, for the CLI's summary and for `status`."""

    sources: int
    files_read: int
    files_unchanged: int
    merge: MergeResult
    stored: int  # entries in the store after the build
    problems: list[Problem]
    failures: list[SourceError]
    written: list[str]  # files rewritten; `unchanged`: rendered the same, left as they were
    unchanged: list[str]
    suspects: tuple[SourceState, ...] = ()  # sources that look broken (`sources.health`)
    alerted: tuple[str, ...] = ()  # sources an alert went out about in this build
    alert_failure: str = ""  # why an alert due could not be sent
    told_hub: int = 0  # feeds the WebSub hub was told of ([site] hub)
    hub_failure: str = ""  # why it could not be told
    followed: int = 0  # item pages fetched (`follow = true`), not had, and left for later
    follow_failed: int = 0
    follow_later: int = 0


class LastBuild(NamedTuple):
    """The record of the last build that `status` shows (kept in the store's meta table)."""

    at: datetime
    ok: bool  # False: nothing could be read, nothing was published
    failures: tuple[str, ...] = ()
    files_read: int = 0
    files_unchanged: int = 0
    new: int = 0
    changed: int = 0
    stored: int = 0
    warnings: int = 0
    written: int = 0

    def to_json(self) -> str:
        return json.dumps(self._asdict() | {"at": self.at.isoformat(),
                                          "failures": list(self.failures)})

    @classmethod
    def from_json(cls, text: str | None) -> LastBuild | None:
        if text is None:
            return None
        fields = json.loads(text)
        return cls(**fields | {"at": datetime.fromisoformat(fields["at"]),
                               "failures": tuple(fields["failures"])})


def build(config: Config, now: datetime, wait: float = 60) -> BuildReport:
    """Merge what the sources show into the store, follow the links due, then write the feeds
    that are stale."""
    with exclusive(config.store, wait), _web(config) as web:
        with open_database(config.store) as database:
            store, health = Store(database), SourceHealth(database)
            (known, signatures), validators = store.file_fingerprints(), store.http_validators()
            for listing in health.suspect_listings():  # judged again, changed or not
                known.pop(listing, None)
                validators.pop(listing, None)
            with store.merging(now) as merge:  # each file goes into the store once it is read
                harvest = read_sources(config.sources, config.site, known, config.fetch,
                                       validators, root=config.path.parent, sink=merge.add,
                                       signatures=signatures, judge=health.judge, web=web)
                merge.remember_reads(harvest.fingerprints, harvest.validators, harvest.signatures)
            followed, follow_failed, follow_later = _follow_links(config, database, now, web,
                                                                  harvest.problems)
            health.record([s.name for s in config.sources], harvest.failed_sources,
                          harvest.reads, harvest.held, now)
            suspects, alerted, alert_failure = _health_report(config, health, now)
            if harvest.failures and not (harvest.files_read or harvest.files_unchanged):
                reasons = "; ".join([*(str(f) for f in harvest.failures),
                                     *(suspect.described() for suspect in suspects)])
                _record_build(store, now, harvest.failures, ok=False)
                raise SourceError(f"nothing could be read, the feeds are left as they were: "
                                  f"{reasons}")
            report = BuildReport(sources=len(config.sources), files_read=harvest.files_read,
                                 files_unchanged=harvest.files_unchanged, merge=merge.result,
                                 stored=0, problems=harvest.problems, failures=harvest.failures,
                                 written=[], unchanged=[], suspects=suspects, alerted=alerted,
                                 alert_failure=alert_failure, followed=followed,
                                 follow_failed=follow_failed, follow_later=follow_later)
            newsletter = Ledger(database, config.site.timezone).has_issues()
            fingerprint = render_fingerprint(config, newsletter)
            stale = _stale_feeds(store, config, fingerprint)
            stale_months = _stale_months(store, config, fingerprint)
            # the last try at the search index failed: tried again though nothing else is stale
            reindex = config.output.search and store.get_meta("search_index") == "failed"
            if not (stale or stale_months or reindex):
                report = _tell_hub(config, store, now, report._replace(stored=store.count()))
                _record_build(store, now, harvest.failures, ok=True, report=report)
                return report
            months = store.months()
            feeds = [Feed(*newest) for newest in
                     store.newest(config.site.timezone, config.output.max_entries)]
        from feedsmith.web.publish import publish  # rendering: not imported when nothing is stale

        # A category whose last entry moved away is written empty rather than left stale.
        emptied = [Feed(slug, slug, ()) for slug in sorted(stale - {f.slug for f in feeds})]
        staging = publish([f for f in feeds if f.slug in stale] + emptied, feeds, months,
                          sorted(neighbours(stale_months, list(months))), config, newsletter)
        report = report._replace(stored=sum(months.values()), written=staging.written,
                                 unchanged=staging.unchanged)
        if config.output.search:
            report, indexed = _index_archive(config, report, reindex)
        with open_database(config.store) as database:
            store = Store(database)
            store.mark_published(fingerprint, [feed.slug for feed in feeds], list(months))
            if config.output.search:
                store.set_meta("search_index", "built" if indexed else "failed")
            report = _tell_hub(config, store, now, report)
            _record_build(store, now, harvest.failures, ok=True, report=report)
    return report


def _index_archive(config: Config, report: BuildReport,
                   again: bool) -> tuple[BuildReport, bool]:
    """Rebuild the search index when a month page changed, the index is missing, or the last
    try failed (`again`; see `feedsmith.web.search`). A failure is a warning, and the next
    build tries again: the pages stand, the old index too. Whether the index is whole."""
    from feedsmith.web.search import ENTRY, index_archive

    folder = config.output.dir
    if not (again or not (folder / ENTRY).is_file()
            or any(name.startswith(f"{ARCHIVE}/") for name in report.written)):
        return report, True
    try:
        index = index_archive(folder)
    except OutputError as error:
        problem = Problem(str(folder), f"{error}; the next build tries again")
        return report._replace(problems=[*report.problems, problem]), False
    return report._replace(written=[*report.written, *index.written],
                           unchanged=[*report.unchanged, *index.unchanged]), True


@contextlib.contextmanager
def _web(config: Config) -> Iterator[Web | None]:
    """The build's way to the web, shared by listing pages and item pages (None when no source
    is on the web or follows links: file-only builds do not load an HTTP client)."""
    if not any(source.url or source.follow for source in config.sources):
        yield None
        return
    from feedsmith.sources.fetch import web_session

    with web_session(config.fetch) as web:
        yield web


def _follow_links(config: Config, database: Database, now: datetime, web: Web | None,
                  problems: list[Problem]) -> tuple[int, int, int]:
    """Fetch the item pages due (see `feedsmith.store.articles`) and keep what they give; a
    page that cannot be had is a warning. How many were fetched, how many could not be had,
    and how many wait for later builds (`[follow] per_build`)."""
    following = {source.name: source.allowed_origins() for source in config.sources
                 if source.follow}
    if not following or web is None:
        return 0, 0, 0
    from feedsmith.sources.follow import follow_pages
    from feedsmith.store.articles import Articles

    articles = Articles(database)
    due, later = articles.due(list(following), now, config.follow.max_age_days,
                              config.follow.per_build)
    pages = follow_pages(due, following, web, config.site.timezone)
    articles.save(pages, now)
    failed = [Problem(page.url, f"item page not followed: {page.failure}"
                      + ("" if page.lasting else "; tried again next build"))
              for page in pages if page.failure]
    problems += failed
    return len(pages) - len(failed), len(failed), later


def _tell_hub(config: Config, store: Store, now: datetime, report: BuildReport) -> BuildReport:
    """Ping the WebSub hub about the feeds this build wrote and those a failed ping left (see
    `feedsmith.web.websub`); the topics are kept until the hub took them."""
    if not config.site.hub:
        return report
    from feedsmith.web.websub import changed_feeds, ping

    waiting = json.loads(store.get_meta("websub_pending") or "[]")
    topics = sorted({*waiting, *changed_feeds(report.written, config.site.base_url)})
    if not topics:
        return report
    store.set_meta("websub_pending", json.dumps(topics))
    failure = ping(config.site.hub, topics, config.fetch)
    store.set_meta("websub_pending", json.dumps(topics if failure else []))
    store.set_meta("websub_last", json.dumps({"at": now.isoformat(), "feeds": len(topics),
                                              "failure": failure}))
    return report._replace(told_hub=0 if failure else len(topics), hub_failure=failure)


def _health_report(config: Config, health: SourceHealth,
                   now: datetime) -> tuple[tuple[SourceState, ...], tuple[str, ...], str]:
    """The sources that look broken, and the alerts this build sent about sources that turned
    suspect or recovered (email is loaded only when one is due)."""
    states = health.states()
    alerted: list[str] = []
    failure = ""
    if config.alerts.to and any(state.alert_due for state in states):
        from feedsmith.alerts import send_alerts

        alerted, failure = send_alerts(config, health, now)
    return tuple(state for state in states if state.suspect), tuple(alerted), failure


def _record_build(store: Store, now: datetime, failures: list[SourceError], ok: bool,
                  report: BuildReport | None = None) -> None:
    """What `feedsmith status` says about the last build."""
    record = LastBuild(at=now, ok=ok, failures=tuple(str(f) for f in failures))
    if report is not None:
        record = record._replace(files_read=report.files_read,
                         files_unchanged=report.files_unchanged, new=report.merge.new,
                         changed=report.merge.changed, stored=report.stored,
                         warnings=len(report.problems), written=len(report.written))
    store.set_meta("last_build", record.to_json())


def _stale_feeds(store: Store, config: Config, fingerprint: str) -> set[str]:
    """Feeds to write: those the store marks pending, all of them when the way feeds are rendered
    changed (config, templates, feedsmith version), and any whose file has gone missing."""
    pending = store.pending_feeds()  # includes categories emptied by a relabel
    if store.get_meta("render_fingerprint") != fingerprint:
        return {ALL, *store.feed_slugs()} | pending
    present = _file_names(config.output.dir)
    present |= {f"{ARCHIVE}/{name}" for name in _file_names(config.output.dir / ARCHIVE)}
    missing = {slug for slug in store.published_feeds()
               if not {f"{slug}.rss", f"{slug}.atom", f"{slug}.json"} <= present
               or slug != ALL and f"{slug}.html" not in present}
    if not set(SITE_FILES) <= present:
        missing.add(ALL)
    return pending | missing


def _stale_months(store: Store, config: Config, fingerprint: str) -> set[str]:
    """Archive pages to write: months whose entries changed, all of them when the way pages are
    rendered changed, and any whose page has gone missing. Unchanged months are not rendered."""
    if store.get_meta("render_fingerprint") != fingerprint:
        return set(store.months())
    present = {f"{ARCHIVE}/{name}" for name in _file_names(config.output.dir / ARCHIVE)}
    missing = {month for month in store.published_months() if archive_page(month) not in present}
    return store.pending_months() | missing


def _file_names(folder: Path) -> set[str]:
    """What a folder holds, in one listing rather than a `stat` per file (1,300 archive months)."""
    try:
        return set(os.listdir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return set()


def render_fingerprint(config: Config, newsletter: bool) -> str:
    """Everything besides the entries that shapes the published files: feedsmith's version, the
    shipped templates, the settings `render_settings` names, the [output] assets, and whether
    the pages' navigation leads to a newsletter (so the first issue puts it on every page)."""
    shipped = b"".join(path.read_bytes() for path in sorted(templates().iterdir())
                       if path.is_file())
    settings = f"{__version__}\x1f{render_settings(config)}\x1f{newsletter}"
    from feedsmith.web.files import assets  # a changed logo is published like a changed page

    published = b"".join(name.encode() + b"\x1f" + data
                         for name, data in assets(config.output.assets))
    return hashlib.sha256(settings.encode() + shipped + published).hexdigest()
