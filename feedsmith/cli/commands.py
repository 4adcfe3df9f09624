"""The commands: each reads the config, calls the library once, and hands the report to
`printing`. Each imports the machinery it uses (config, store, pipeline, digest, mail, scheduler)
when it runs: `--help` loads argparse alone, and `build` not the digest's or the scheduler's.
"""

from __future__ import annotations

import errno
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from feedsmith.cli import printing
from feedsmith.errors import DigestError, FeedsmithError
from feedsmith.period import Period

if TYPE_CHECKING:
    from feedsmith.config import Config


class Options(NamedTuple):
    """The global options, as every command gets them."""

    config_path: Path
    debug: bool

    def config(self) -> Config:
        from feedsmith.config import load_config

        return load_config(self.config_path)


class UsageError(Exception):
    """A mistake in the command line that parsing cannot see (two options that exclude each
    other, a category the store lacks): exit 2 with the command's usage, like a parse error."""


def _clock(config: Config, value: str | None) -> datetime:
    """--now (an ISO time, in the site's zone unless it says otherwise), or the real clock."""
    if value is None:
        return datetime.now(UTC)
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=config.site.timezone)


def build(options: Options, wait: float) -> None:
    """Read the sources, remember new items, and write changed feeds."""
    from feedsmith.pipeline import build as run_build

    config = options.config()
    report = run_build(config, datetime.now(UTC), wait)
    printing.build_summary(report, config.output.dir)
    if report.failures or report.suspects:
        sys.exit(1)


def check(options: Options, items: int, save: Path | None, against: Path | None) -> None:
    """Check the config and read every source, touching nothing.

    Every source is read (URLs fetched) and shows the first items it gives and every warning;
    neither the store nor the output folder is touched. --save DIR keeps each source's listing
    and the items read from it; --against DIR reads the kept listings offline and fails with a
    diff where today's config reads them differently (selectors under test, in your own CI).
    """
    from feedsmith.sources.preview import check_sources

    if save and against:
        raise UsageError("give --save or --against, not both")
    config = options.config()
    if save or against:
        _snapshots(config, save, against)
        return
    print(f"Config {config.path}: OK.")
    from feedsmith.sources.preview import placeholders

    for placeholder in placeholders(config):
        print(f"warning: {placeholder}", file=sys.stderr)
    previews = check_sources(config)
    for preview in previews:
        printing.source_preview(preview, items)
    if any(preview.failures for preview in previews):
        sys.exit(1)


def _snapshots(config: Config, save: Path | None, against: Path | None) -> None:
    from feedsmith.sources import snapshot

    if save:
        for place in snapshot.save(config, save):
            print(f"Saved {place}")
        return
    assert against is not None
    differences = snapshot.compare(config, against)
    for difference in differences:
        print(f"Source {difference.source!r} reads its saved listing differently:\n"
              f"{difference.diff}")
    if differences:
        sys.exit(1)
    print(f"Every source reads its saved listing in {against} as it did.")


def init(options: Options, listing: str, render: str | None) -> None:
    """Write a starter config for LISTING, a URL or a file.

    Its format, date language and, for an HTML page, selectors are detected. An existing config
    is never overwritten.
    """
    from feedsmith.sources.preview import detect, starter_config, write_new

    target = options.config_path
    if target.exists():  # before fetching anything
        write_new(target, "")
    found = detect(listing, target.resolve().parent, render or "")
    printing.detected(listing, found)
    write_new(target, starter_config(found, datetime.now(UTC).date()))
    print(f"Wrote {target}: change what is marked CHANGE, then run `feedsmith check`.")


def entries(options: Options, category: str | None, month: str | None, long_: bool) -> None:
    """List what the store holds and which feeds carry each entry.

    Newest first; --long shows every field and why an entry is in a feed or not.
    """
    from feedsmith.store.engines import open_database
    from feedsmith.store.queries import Store

    config = options.config()
    with open_database(config.store, create=False) as database:
        store = Store(database)
        listed = store.entries(config.site.timezone, category, month)
        categories = store.categories() if category and not listed else []
    if categories:
        raise UsageError(f"no entries in category {category!r}"
                         + (f" for {month}" if month else "")
                         + f"; the store's categories are: {', '.join(categories)}")
    printing.entries(listed, config.output.max_entries, long_)


def digest(options: Options, month: str | None, week: str | None, dry_run: bool, send: bool,
           force: bool, rebuild: bool, resend_unknown: bool, ignore_archive: bool,
           accept_suspect: bool, now: str | None, wait: float) -> None:
    """Build the newsletter issue of a month or week; --send mails it.

    The issue's web page, text and .eml go under <output>/digest/.
    """
    from feedsmith.newsletter.delivery import Resend
    from feedsmith.newsletter.run import IssueRequest, run_issue

    if month and week:
        raise UsageError("give --month or --week, not both")
    config = options.config()
    clock = _clock(config, now)
    today = clock.astimezone(config.site.timezone).date()
    key = month or week or Period.containing(today, config.digest.cadence).shifted(-1).key
    request = IssueRequest(dry_run=dry_run, rebuild=rebuild, deliver=send,
                           resend=Resend(force=force, unknown=resend_unknown),
                           ignore_archive=ignore_archive, accept_suspect=accept_suspect)
    report = run_issue(config, key, clock, request, wait)
    printing.digest(report, config, dry_run)
    if report.delivery.failed:
        raise DigestError(f"{len(report.delivery.failed)} delivery problem(s); they are recorded and "
                          "the next `digest --send` retries them")


def run_due(options: Options, now: str | None, wait: float, log_file: Path | None,
            quiet: bool) -> None:
    """For cron: rebuild the feeds, then send every digest that is due.

    Idempotent: run it as often as you like; an issue goes to each recipient once.
    """
    from feedsmith.cli.logs import configure_logging
    from feedsmith.unattended import run_due as run_due_now

    config = options.config()
    configure_logging(log_file, quiet, config.site.timezone)
    report = run_due_now(config, _clock(config, now), wait)
    built = report.build
    if report.build_error or report.errors or built and (built.failures or built.suspects):
        sys.exit(1)


def schedule(options: Options, print_only: bool, now: str | None, log_file: Path | None,
             quiet: bool) -> None:
    """Run as a service: build and send on the [schedule] times.

    Rebuilds the feeds and sends the digests that are due, until stopped.
    """
    from feedsmith.cli.logs import configure_logging
    from feedsmith.schedule import Jobs, next_runs, serve
    from feedsmith.unattended import logged_build
    from feedsmith.unattended import run_due as run_due_now

    config = options.config()
    zone = config.site.timezone
    clock = _clock(config, now).astimezone(zone)
    jobs = Jobs.parse(config.schedule.build, config.schedule.digest, zone, clock)
    if print_only:
        for name, trigger in (("build", jobs.build), ("digest", jobs.digest)):
            times = ", ".join(t.strftime("%Y-%m-%d %H:%M %Z") for t in next_runs(trigger, clock, 5))
            print(f"{name:<6} ({getattr(config.schedule, name)}): {times}")
        return
    configure_logging(log_file, quiet, config.site.timezone)

    def build_job() -> None:  # the config is read again each time: edits apply without restart
        logged_build(options.config(), datetime.now(UTC))

    def due_job() -> None:
        run_due_now(options.config(), datetime.now(UTC))

    serve(jobs, build_job, due_job)


def serve(options: Options, bind: str, port: int) -> None:
    """Preview the output folder in a browser, as production serves it.

    With the headers production needs (types, caching, the feeds' charset).
    """
    from feedsmith.web.serve import make_server

    config = options.config()
    folder = config.output.dir
    if not (folder / "index.html").is_file():
        raise FeedsmithError(f"{printing.shown(folder)} has no index.html yet: run "
                             "`feedsmith build`")
    try:
        server = make_server(folder, bind, port)
    except OSError as exc:
        taken = exc.errno == errno.EADDRINUSE
        raise FeedsmithError(f"cannot listen on {bind}:{port}: {exc.strerror}"
                             + ("; another program uses that port: choose another with --port"
                                " (--port 0: any free one)" if taken else "")) from None
    print(f"Serving {printing.shown(folder)} at http://{bind}:{server.server_port}/ "
          "(Ctrl-C to stop)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def status(options: Options, now: str | None) -> None:
    """What happened last, what runs next, and what needs attention.

    With the issue ledger: each issue's number, period and deliveries.
    """
    from feedsmith.status import status as current_status

    config = options.config()
    printing.status(current_status(config, _clock(config, now)), config)


def sources_accept(options: Options, name: str, wait: float) -> None:
    """Accept what a suspect source reads now as right (its new layout, its new size).

    Its latest read becomes the normal its next reads are judged against, and the newsletter
    stops holding its issue for it.
    """
    from feedsmith.store.engines import exclusive, open_database
    from feedsmith.store.health import SourceHealth

    config = options.config()
    names = [source.name for source in config.sources]
    if name not in names:
        raise UsageError(f"no source {name!r} in {config.path}; its sources are: "
                         f"{', '.join(names)}")
    with exclusive(config.store, wait), open_database(config.store, create=False) as database:
        accepted = SourceHealth(database).accept(name, datetime.now(UTC))
    if not accepted:
        print(f"Source {name!r} is not suspect: nothing to accept.")
        return
    print(f"Accepted source {name!r}: its latest read is its new normal.")


def refresh(options: Options, items: list[str], wait: float) -> None:
    """Fetch these items' own pages again with the next build (sources with follow = true).

    ITEM is an entry's id or its link, as `feedsmith entries --long` shows them.
    """
    from feedsmith.store.articles import Articles
    from feedsmith.store.engines import exclusive, open_database

    config = options.config()
    with exclusive(config.store, wait), open_database(config.store, create=False) as database:
        articles = Articles(database)
        found = {item: articles.refresh(item) for item in items}
    unknown = [item for item, result in found.items() if result is None]
    for item, result in found.items():
        if result is None:
            continue
        link, kept = result
        if not link:
            print(f"{item}: has no link, so no page of its own to fetch.")
        elif kept:
            print(f"{link}: fetched again with the next build.")
        else:
            print(f"{link}: not fetched yet; the next build fetches it if its source has "
                  "follow = true.")
    if unknown:
        raise UsageError(f"no stored item has the id or link {', '.join(map(repr, unknown))} "
                         "(see `feedsmith entries --long`)")


def store_copy(options: Options, target: str, password_env: str, wait: float) -> None:
    """Copy the configured store, history and ledger, into a new one.

    To move to PostgreSQL, or back; then point [store] at the copy.
    """
    from feedsmith.config import StoreConfig, postgres_url_problem
    from feedsmith.store.copying import copy_store

    config = options.config()
    if "://" in target:
        if problem := postgres_url_problem(target):
            raise UsageError(f"--to: {problem}")
        into = StoreConfig(url=target, password_env=password_env)
    else:
        into = StoreConfig(path=Path(target).resolve())
        if into.path == config.store.path:
            raise UsageError("--to: that is the configured store itself")
    copied = copy_store(config.store, into, wait)
    print(f"Copied {config.store.where} to {into.where}: {copied['entries']} entries, "
          f"{copied['issues']} ledger issue(s), {copied['deliveries']} deliveries.")
    setting = f'url = "{target}"' if into.url else f'path = "{into.path}"'
    print(f"To use it, set in [store]: {setting}")
