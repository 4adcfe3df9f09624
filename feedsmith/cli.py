"""The `feedsmith` command: thin wrappers over `pipeline`, and the one place errors become exits.

Exit codes: 0 success; 1 failure (an `Error: ...` line on stderr), or a build that published but
could not read some source; 2 usage error. `--debug` shows the traceback behind an error.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from feedsmith import __version__
from feedsmith.entry import record
from feedsmith.errors import DigestError, FeedsmithError

# Each command imports the machinery it uses (config, store, pipeline, digest, mail, scheduler):
# `--help` and `--version` load click alone, and `build` not the digest's or the scheduler's.
if TYPE_CHECKING:
    from feedsmith.config import Config
    from feedsmith.newsletter import DigestReport
    from feedsmith.store import ListedEntry


@record
class _Options:
    config_path: Path
    debug: bool

    def config(self) -> Config:
        from feedsmith.config import load_config

        return load_config(self.config_path)


class _Group(click.Group):
    """Turns a FeedsmithError into one `Error: ...` line and exit 1, unless --debug."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except FeedsmithError as error:
            if ctx.params.get("debug"):
                raise
            click.echo(f"Error: {error}", err=True)
            sys.exit(1)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False),
              default="config.toml", show_default=True, envvar="FEEDSMITH_CONFIG",
              help="The config file (env: FEEDSMITH_CONFIG).")
@click.option("--debug", is_flag=True, help="Show the traceback behind an error.")
@click.version_option(__version__, prog_name="feedsmith")
@click.pass_context
def main(ctx: click.Context, config_path: Path, debug: bool) -> None:
    """Turn news listing pages into RSS and Atom feeds and a monthly email newsletter.

    Start with `feedsmith init URL-OR-FILE` for a config, `feedsmith check` to see what it
    reads, then `feedsmith build`; `feedsmith digest` makes the newsletter, `run-due` (cron) or
    `schedule` (a service) do both on time.
    """
    ctx.obj = _Options(config_path, debug)


@main.command()
@click.option("--wait", type=click.FloatRange(min=0), default=60, show_default=True,
              help="Seconds to wait for another run that holds the store, then give up.")
@click.pass_obj
def build(options: _Options, wait: float) -> None:
    """Read the sources, remember new items, and write the feeds that changed."""
    from feedsmith.pipeline import build as run_build

    config = options.config()
    report = run_build(config, datetime.now(UTC), wait)
    for problem in report.problems:
        click.echo(f"warning: {problem}", err=True)
    for failure in report.failures:
        click.echo(f"error: {failure}", err=True)
    merge = report.merge
    click.echo(f"Sources: {report.files_read} file(s) read, {report.files_unchanged} unchanged, "
               f"{len(report.failures)} failed; {len(report.problems)} warning(s).")
    click.echo(f"Entries: {merge.new} new, {merge.changed} updated, {report.stored} in the store.")
    out = _shown(config.output.dir)
    if report.written or report.unchanged:
        click.echo(f"Output: {len(report.written)} file(s) written to {out}, "
                   f"{len(report.unchanged)} unchanged.")
    else:
        click.echo(f"Output: {out} is up to date, nothing written.")
    if report.failures:
        sys.exit(1)


@main.command()
@click.option("--items", type=click.IntRange(min=0), default=10, show_default=True,
              help="How many items to show per source.")
@click.pass_obj
def check(options: _Options, items: int) -> None:
    """Check the config and read every source (fetching URLs): show what each gives and every
    warning, touching neither the store nor the output folder."""
    from feedsmith.preview import check_sources

    config = options.config()
    click.echo(f"Config {config.path}: OK.")
    failed = False
    for preview in check_sources(config):
        click.echo(f"\nSource {preview.name!r}: {len(preview.entries)} item(s), "
                   f"{len(preview.problems)} warning(s), {len(preview.failures)} failure(s).")
        _item_table([(e.category, e.day.isoformat(), e.title, e.link)
                     for e in preview.entries[:items]])
        for problem in preview.problems:
            click.echo(f"  warning: {problem}")
        for failure in preview.failures:
            click.echo(f"  error: {failure}")
        failed = failed or bool(preview.failures)
    if failed:
        sys.exit(1)


@main.command()
@click.argument("listing")
@click.pass_obj
def init(options: _Options, listing: str) -> None:
    """Write a starter config for LISTING (a URL or a file): its format, date language and, for
    an HTML page, selectors are detected. An existing config is never overwritten."""
    from feedsmith.preview import detect, starter_config, write_new

    target = options.config_path
    if target.exists():  # before fetching anything
        write_new(target, "")
    found = detect(listing, target.resolve().parent)
    click.echo(f"{listing}: {found.kind}, dates in {found.language!r}, {len(found.items)} "
               f"item(s), {len(found.problems)} warning(s)"
               + (", read with CSS selectors " + ", ".join(f"{k} = {v!r}" for k, v in
                                                          found.selectors)
                  if found.selectors else "") + ".")
    _item_table([(i.category or "(none)", i.day.isoformat(), i.title, i.link)
                 for i in found.items[:10]])
    for problem in found.problems:
        click.echo(f"  warning: {problem}")
    write_new(target, starter_config(found, datetime.now(UTC).date()))
    click.echo(f"Wrote {target}: change what is marked CHANGE, then run `feedsmith check`.")


def _item_table(rows: list[tuple[str, str, str, str]]) -> None:
    if not rows:
        return
    click.echo(f"  {'DATE':<10}  {'CATEGORY':<24}  {'TITLE':<48}  LINK")
    for category, day, title, link in rows:
        click.echo(f"  {day:<10}  {_shorten(category, 24):<24}  {_shorten(title, 48):<48}  "
                   f"{link or '-'}")


def _month(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", value):
        raise click.BadParameter(f"expected YYYY-MM, e.g. 2023-11, got {value!r}")
    return value


@main.command()
@click.option("--category", help="Only this category (any spelling of it).")
@click.option("--month", callback=_month, help="Only entries dated in this month (YYYY-MM).")
@click.option("--long", "long_", is_flag=True, help="Every field, and why it is in a feed or not.")
@click.pass_obj
def entries(options: _Options, category: str | None, month: str | None, long_: bool) -> None:
    """List what the store holds, newest first, and which feeds carry each entry."""
    from feedsmith.database import open_database
    from feedsmith.store import Store

    config = options.config()
    with open_database(config.store, create=False) as database:
        store = Store(database)
        listed = store.entries(config.site.timezone, category, month)
        categories = store.categories() if category and not listed else []
    if categories:
        raise click.UsageError(f"no entries in category {category!r}"
                               + (f" for {month}" if month else "")
                               + f"; the store's categories are: {', '.join(categories)}")
    cap = config.output.max_entries
    if listed and not long_:
        click.echo(f"{'DATE':<10}  {'FEEDS':<7}  {'CATEGORY':<30}  TITLE")
    for item in listed:
        click.echo(_describe(item, cap) if long_ else _row(item, cap))
    click.echo(f"{len(listed)} entr{'y' if len(listed) == 1 else 'ies'}"
               + (f" (feeds carry the newest {cap} of each)" if listed else ""), err=True)


def _now(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is not None:
        try:
            datetime.fromisoformat(value)
        except ValueError:
            raise click.BadParameter(f"expected an ISO time such as 2024-01-02T09:00, "
                                     f"got {value!r}") from None
    return value


def _clock(config: Config, value: str | None) -> datetime:
    """--now (an ISO time, in the site's zone unless it says otherwise), or the real clock."""
    if value is None:
        return datetime.now(UTC)
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=config.site.timezone)


def _week(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not re.fullmatch(r"\d{4}-W(0[1-9]|[1-4]\d|5[0-3])", value):
        raise click.BadParameter(f"expected an ISO week YYYY-Www, e.g. 2023-W47, got {value!r}")
    return value


@main.command()
@click.option("--month", callback=_month,
              help="The issue's month (YYYY-MM); default: the last whole month.")
@click.option("--week", callback=_week,
              help="The issue's ISO week (YYYY-Www), with [digest] cadence = \"weekly\"; "
                   "default: the last whole week.")
@click.option("--dry-run", is_flag=True,
              help="Show what the issue would hold and write its HTML to a temporary file; "
                   "record nothing.")
@click.option("--send", is_flag=True, help="Deliver the issue to [digest] to, once.")
@click.option("--force", is_flag=True, help="With --send: send again to those already sent to.")
@click.option("--rebuild", is_flag=True, help="Select and render an unsent issue again.")
@click.option("--resend-unknown", is_flag=True,
              help="With --send: send again (same Message-ID) where the outcome is unknown.")
@click.option("--ignore-archive", is_flag=True,
              help="Build an issue the ledger lacks even though the published archive lists it.")
@click.option("--now", callback=_now, help="Act as if it were this time (ISO, site time zone).")
@click.option("--wait", type=click.FloatRange(min=0), default=60, show_default=True,
              help="Seconds to wait for another run that holds the store.")
@click.pass_obj
def digest(options: _Options, month: str | None, week: str | None, dry_run: bool, send: bool,
           force: bool, rebuild: bool, resend_unknown: bool, ignore_archive: bool,
           now: str | None, wait: float) -> None:
    """Build the newsletter issue of a month (or week): web page, text and .eml under
    <output>/digest/; --send mails it."""
    from feedsmith.newsletter import run_issue
    from feedsmith.period import Period

    if month and week:
        raise click.UsageError("give --month or --week, not both")
    config = options.config()
    clock = _clock(config, now)
    today = clock.astimezone(config.site.timezone).date()
    key = month or week or Period.containing(today, config.digest.cadence).shifted(-1).key
    report = run_issue(config, key, clock, dry_run=dry_run, rebuild=rebuild, deliver=send,
                        force=force, resend_unknown=resend_unknown,
                        ignore_archive=ignore_archive, wait=wait)
    _print_digest(report, config, dry_run)
    if report.failed:
        for failure in report.failed:
            click.echo(f"error: {failure}", err=True)
        raise DigestError(f"{len(report.failed)} delivery problem(s); they are recorded and "
                             "the next `digest --send` retries them")


def _print_digest(report: DigestReport, config: Config, dry_run: bool) -> None:
    from feedsmith.issue import LATE_HEADING

    if report.number is None:
        click.echo(f"{report.month}: nothing new, so no issue"
                   + ("" if dry_run else " (recorded in the ledger)") + ".")
        return
    state = "new" if report.created or dry_run else "already built, unchanged"
    click.echo(f"{report.subject} ({state}); email HTML {report.html_bytes / 1000:.1f} KB.")
    if report.layout is not None:
        layout = report.layout
        if layout.lead is not None:
            click.echo(f"  Lead: {layout.lead.title}")
        for section in layout.sections:
            late = " (late arrivals)" if section.heading == LATE_HEADING else ""
            click.echo(f"  {section.heading}{late}: {len(section.entries)} item(s)")
            if dry_run:
                for entry in section.entries:
                    click.echo(f"    {entry.day}  {entry.title}")
    if report.preview is not None:
        click.echo(f"Preview of the email: {report.preview} (open it in a browser; nothing was "
                   "recorded)")
    if report.editorial_changed is not None:
        click.echo(f"note: {report.editorial_changed} changed since this issue was built; the "
                   "issue keeps the editorial it was built with (`--rebuild` uses the new one, "
                   "unless the issue was sent)", err=True)
    if report.written:
        click.echo(f"Wrote {', '.join(report.written)} under {_shown(config.output.dir)}")
    if report.sent or report.already_sent:
        click.echo(f"Sent to {len(report.sent)} recipient(s); {len(report.already_sent)} had it "
                   "already.")
    if report.unknown:
        click.echo(f"Not sent again to {', '.join(report.unknown)}: an earlier copy's outcome is "
                   f"unknown (it may have arrived); --resend-unknown sends it again.", err=True)


def _log_options(command: Callable[..., Any]) -> Callable[..., Any]:
    command = click.option("--log-file", type=click.Path(path_type=Path, dir_okay=False),
                           help="Also append the whole log to this file.")(command)
    return click.option("-q", "--quiet", is_flag=True,
                        help="Only warnings and errors on stderr (for cron).")(command)


@main.command("run-due")
@click.option("--now", callback=_now, help="Act as if it were this time (ISO, site time zone).")
@click.option("--wait", type=click.FloatRange(min=0), default=60, show_default=True,
              help="Seconds to wait for another run that holds the store.")
@_log_options
@click.pass_obj
def run_due(options: _Options, now: str | None, wait: float, log_file: Path | None,
            quiet: bool) -> None:
    """For cron: rebuild the feeds, then build and send every digest that is due. Idempotent."""
    from feedsmith.logs import configure_logging
    from feedsmith.newsletter import run_due as run_due_core

    config = options.config()
    configure_logging(log_file, quiet, config.site.timezone)
    report = run_due_core(config, _clock(config, now), wait)
    if report.build_error or report.errors or (report.build and report.build.failures):
        sys.exit(1)


@main.command()
@click.option("--print", "print_only", is_flag=True, help="List the next run times and exit.")
@click.option("--now", callback=_now, help="With --print: list runs after this time.")
@_log_options
@click.pass_obj
def schedule(options: _Options, print_only: bool, now: str | None, log_file: Path | None,
             quiet: bool) -> None:
    """Run as a service: rebuild feeds and send digests on the [schedule] times, until stopped."""
    from feedsmith.logs import configure_logging
    from feedsmith.newsletter import logged_build
    from feedsmith.newsletter import run_due as run_due_core
    from feedsmith.schedule import Jobs, next_runs, serve

    config = options.config()
    zone = config.site.timezone
    clock = _clock(config, now).astimezone(zone)
    jobs = Jobs.parse(config.schedule.build, config.schedule.digest, zone, clock)
    if print_only:
        for name, trigger in (("build", jobs.build), ("digest", jobs.digest)):
            times = ", ".join(t.strftime("%Y-%m-%d %H:%M %Z") for t in next_runs(trigger, clock, 5))
            click.echo(f"{name:<6} ({getattr(config.schedule, name)}): {times}")
        return
    configure_logging(log_file, quiet, config.site.timezone)

    def build_job() -> None:  # the config is read again each time: edits apply without restart
        logged_build(options.config(), datetime.now(UTC))

    def due_job() -> None:
        run_due_core(options.config(), datetime.now(UTC))

    serve(jobs, build_job, due_job)


@main.command()
@click.option("--bind", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.pass_obj
def serve(options: _Options, bind: str, port: int) -> None:
    """Preview the output folder in a browser, with the headers production needs."""
    from feedsmith.serve import make_server

    config = options.config()
    folder = config.output.dir
    if not (folder / "index.html").is_file():
        raise click.ClickException(f"{_shown(folder)} has no index.html yet: run `feedsmith build`")
    try:
        server = make_server(folder, bind, port)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {bind}:{port}: {exc.strerror}") from None
    click.echo(f"Serving {_shown(folder)} at http://{bind}:{server.server_port}/ (Ctrl-C to stop)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@main.group()
def store() -> None:
    """Work on the state database as a whole."""


@store.command("copy")
@click.option("--to", "target", required=True, metavar="URL-OR-FILE",
              help="A new store: postgresql://user@host:port/database, or an SQLite file.")
@click.option("--password-env", default="", metavar="NAME",
              help="The environment variable holding the target database's password "
                   "(else libpq's PGPASSWORD or ~/.pgpass).")
@click.option("--wait", type=click.FloatRange(min=0), default=60, show_default=True,
              help="Seconds to wait for a run that holds either store.")
@click.pass_obj
def store_copy(options: _Options, target: str, password_env: str, wait: float) -> None:
    """Copy the configured store, with its history and ledger, into a new one (to move to
    PostgreSQL, or back); then point [store] at the copy."""
    from feedsmith.config import StoreConfig, postgres_url_problem
    from feedsmith.database.copying import copy_store

    config = options.config()
    if "://" in target:
        if problem := postgres_url_problem(target):
            raise click.BadParameter(problem, param_hint="--to")
        into = StoreConfig(url=target, password_env=password_env)
    else:
        into = StoreConfig(path=Path(target).resolve())
        if into.path == config.store.path:
            raise click.BadParameter("that is the configured store itself", param_hint="--to")
    copied = copy_store(config.store, into, wait)
    click.echo(f"Copied {config.store.where} to {into.where}: {copied['entries']} entries, "
               f"{copied['issues']} ledger issue(s), {copied['deliveries']} deliveries.")
    setting = f'url = "{target}"' if into.url else f'path = "{into.path}"'
    click.echo(f"To use it, set in [store]: {setting}")


@main.command()
@click.option("--now", callback=_now, help="Act as if it were this time (ISO, site time zone).")
@click.pass_obj
def status(options: _Options, now: str | None) -> None:
    """What happened last, what runs next, the issue ledger, and what needs attention."""
    from feedsmith.status import status as current_status

    config = options.config()
    zone = config.site.timezone
    report = current_status(config, _clock(config, now))
    last = report.last_build
    click.echo(f"Store: {report.store}")
    if last is None:
        click.echo("Last build: none yet.")
    elif last.ok:
        click.echo(f"Last build: {last.at.astimezone(zone):%Y-%m-%d %H:%M %Z}: "
                   f"{last.files_read} file(s) read, {last.files_unchanged} unchanged, "
                   f"{last.new} new, {last.changed} updated, {last.warnings} warning(s); "
                   f"{last.stored} entries in the store.")
    else:
        click.echo(f"Last build: {last.at.astimezone(zone):%Y-%m-%d %H:%M %Z}: FAILED, nothing "
                   "could be read.")
    for name, when in (("build", report.next_build), ("digest", report.next_digest)):
        shown = f"{when:%Y-%m-%d %H:%M %Z}" if when else "never"
        click.echo(f"Next {name}: {shown} ({getattr(config.schedule, name)})")
    click.echo("Issues:" if report.issues else "Issues: none yet.")
    for issue in report.issues:
        click.echo(f"  No. {issue.number:<4} {issue.month}  built "
                   f"{issue.built_at:%Y-%m-%d %H:%M}  sent {issue.sent}/{len(config.digest.to)}"
                   + (f", {issue.not_delivered} not delivered" if issue.not_delivered else ""))
    click.echo("Needs attention:" if report.attention else "Nothing needs attention.")
    for line in report.attention:
        click.echo(f"  - {line}")


def _in_feeds(item: ListedEntry, cap: int) -> list[str]:
    from feedsmith.identity import category_slug

    slug = category_slug(item.entry.category)
    return [name for name, rank in (("all", item.rank_in_all), (slug, item.rank_in_category))
            if rank <= cap]


def _row(item: ListedEntry, cap: int) -> str:
    """One line: in the feed of everything and its category's ("all+cat"), only its category's
    ("cat"), or neither ("-": older than the newest `cap` of both)."""
    in_all, in_category = item.rank_in_all <= cap, item.rank_in_category <= cap
    feeds = "all+cat" if in_all and in_category else "cat" if in_category else "all" if in_all else "-"
    entry = item.entry
    import shutil

    room = max(20, shutil.get_terminal_size((100, 24)).columns - 53)  # what the columns leave
    category, title = _shorten(entry.category, 30), _shorten(entry.title, room)
    return f"{entry.day}  {feeds:<7}  {category:<30}  {title}"


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 1].rstrip() + "…"


def _describe(item: ListedEntry, cap: int) -> str:
    from feedsmith.identity import category_slug

    entry, slug = item.entry, category_slug(item.entry.category)
    placement = (f"#{item.rank_in_all} in all, #{item.rank_in_category} in {slug} "
                 f"(feeds carry {cap}): in {', '.join(_in_feeds(item, cap)) or 'no feed'}")
    return "\n".join([
        entry.id,
        f"  title:      {entry.title}",
        f"  category:   {entry.category}",
        f"  summary:    {entry.summary or '(none)'}",
        f"  published:  {entry.published.isoformat()}",
        f"  updated:    {entry.updated.isoformat()}",
        f"  first seen: {item.first_seen.isoformat(timespec='seconds')}",
        f"  last seen:  {item.last_seen.isoformat(timespec='seconds')}",
        f"  source:     {entry.source} ({entry.origin})",
        f"  feeds:      {placement}",
        "",
    ])


def _shown(path: Path) -> str:
    """A path as the user would type it: relative to the working directory when inside it."""
    try:
        return f"{path.relative_to(Path.cwd())}/"
    except ValueError:
        return f"{path}/"
