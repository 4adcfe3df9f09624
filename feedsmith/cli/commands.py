"""The `feedsmith` command: thin wrappers over `pipeline`, and the one place errors become exits.

Exit codes: 0 success; 1 failure (an `Error: ...` line on stderr), or a build that published but
could not read some source; 2 usage error; 130 interrupted (Ctrl-C); 141 the reader of the
output went away (`| head`). `--debug` shows the traceback behind an error.

Each command declares its options with `@_command`; only the command that runs gets a parser.
A build with nothing to do is mostly interpreter start-up: click cost it 14 ms of about 75,
and a parser for every command another 4 (issue 12's bench).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from feedsmith import __version__
from feedsmith.errors import DigestError, FeedsmithError
from feedsmith.period import MONTH_KEY, WEEK_KEY, Period
from feedsmith.records import record

# Each command imports the machinery it uses (config, store, pipeline, digest, mail, scheduler):
# `--help` and `--version` load argparse alone, and `build` not the digest's or the scheduler's.
if TYPE_CHECKING:
    from feedsmith.config import Config
    from feedsmith.newsletter.run import DigestReport
    from feedsmith.store.queries import ListedEntry

ABOUT = """\
Turn news listing pages into RSS and Atom feeds and a monthly email newsletter.

Start with `feedsmith init URL-OR-FILE` for a config, `feedsmith check` to see what it reads,
then `feedsmith build`; `feedsmith digest` makes the newsletter, `run-due` (cron) or `schedule`
(a service) do both on time."""

GROUPS = {"store": "Work on the state database as a whole."}  # commands with commands


@record
class _Options:
    config_path: Path
    debug: bool

    def config(self) -> Config:
        from feedsmith.config import load_config

        return load_config(self.config_path)


class UsageError(Exception):
    """A mistake in the command line that parsing cannot see (two options that exclude each
    other, a category the store lacks): exit 2 with the command's usage, like a parse error."""


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the command line, run one command, and turn its errors into exit codes."""
    group = _group_parser("feedsmith", ABOUT)
    group.add_argument("--config", dest="config_path", type=Path, metavar="FILE",
                       default=Path(os.environ.get("FEEDSMITH_CONFIG") or "config.toml"),
                       help="the config file (env: FEEDSMITH_CONFIG; default: %(default)s)")
    group.add_argument("--debug", action="store_true", help="show the traceback behind an error")
    group.add_argument("--version", action="version", version=f"feedsmith, version {__version__}")
    chosen = group.parse_args(argv)
    options = _Options(chosen.config_path, chosen.debug)
    name, arguments = chosen.command, chosen.arguments
    while name in GROUPS:  # `store copy ...`: the group chooses among its own commands
        group = _group_parser(f"feedsmith {name}", GROUPS[name], f"{name} ")
        inner = group.parse_args(arguments)
        name, arguments = inner.command and f"{name} {inner.command}", inner.arguments
    if name is None:  # `feedsmith` or `feedsmith store` alone
        group.print_help()
        sys.exit(2)
    function, declared = COMMANDS[name]
    parser = argparse.ArgumentParser(prog=f"feedsmith {name}", description=_help(function),
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     allow_abbrev=False)  # `--wai` must not become --wait
    for flags, settings in declared:
        parser.add_argument(*flags, **settings)
    try:
        function(options, **vars(parser.parse_args(arguments)))
        sys.stdout.flush()  # a reader that went away shows here, not as Python exits
    except UsageError as error:
        parser.error(str(error))
    except FeedsmithError as error:
        if options.debug:
            raise
        print(f"Error: {error}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:  # Ctrl-C: what was done is committed or rolled back already
        if options.debug:
            raise
        print("Aborted.", file=sys.stderr)
        sys.exit(130)  # 128 + SIGINT, as shells report it
    except BrokenPipeError:  # `feedsmith entries | head`: the reader has what it wanted
        if options.debug:
            raise
        sys.exit(141)  # 128 + SIGPIPE, as shells report it


class _GroupParser(argparse.ArgumentParser):
    """Takes a command and leaves its arguments to the command's own parser; a command it does
    not know is a usage error with "did you mean", as the config says for a key."""

    prefix = ""  # of the group's commands in COMMANDS ("store ")

    def parse_args(self, args: Sequence[str] | None = None,  # type: ignore[override]
                   namespace: None = None) -> argparse.Namespace:
        parsed = super().parse_args(args, namespace)
        names = _commands_of(self.prefix)
        if parsed.command not in (None, *names):
            from feedsmith.config.table import did_you_mean

            self.error(f"no such command {parsed.command!r}"
                       f"{did_you_mean(parsed.command, set(names))}; the commands are: "
                       f"{', '.join(names)}")
        return parsed


def _group_parser(prog: str, description: str, prefix: str = "") -> _GroupParser:
    """The parser of `feedsmith` (prefix "") or of a group of commands ("store "), whose help
    lists the commands with the first line of each one's docstring."""
    names = _commands_of(prefix)
    width = max(map(len, names))
    listing = "\n".join(
        f"  {name:<{width}}  "
        + (GROUPS[name] if name in GROUPS else _summary(COMMANDS[prefix + name][0]))
        for name in names)
    parser = _GroupParser(prog=prog, usage="%(prog)s [options] COMMAND [ARGS ...]",
                          description=description, epilog=f"commands:\n{listing}",
                          formatter_class=argparse.RawDescriptionHelpFormatter,
                          allow_abbrev=False)
    parser.prefix = prefix
    parser.add_argument("command", nargs="?", metavar="COMMAND", help=argparse.SUPPRESS)
    parser.add_argument("arguments", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    return parser


def _commands_of(prefix: str) -> list[str]:
    """The commands (and groups) one level below `prefix`, in the order they are declared."""
    names = [name.removeprefix(prefix).split(" ")[0] for name in COMMANDS
             if name.startswith(prefix)]
    return list(dict.fromkeys(names))


def _summary(function: Callable[..., None]) -> str:
    return _help(function).splitlines()[0]


def _help(function: Callable[..., None]) -> str:
    """A command's docstring, its indentation removed (`inspect.cleandoc`, without importing
    `inspect`: 5 ms)."""
    first, _, rest = (function.__doc__ or "").strip().partition("\n")
    return "\n".join([first, *(line.removeprefix("    ") for line in rest.splitlines())])


# Declaring a command --------------------------------------------------------------------------

_Option = tuple[tuple[str, ...], dict[str, Any]]
_Function = TypeVar("_Function", bound=Callable[..., None])

# name -> the function and the options it takes as keyword arguments
COMMANDS: dict[str, tuple[Callable[..., None], tuple[_Option, ...]]] = {}


def _command(name: str, *options: _Option) -> Callable[[_Function], _Function]:
    """Declares a command: its docstring is its help (the first line in the list of commands)."""

    def declare(function: _Function) -> _Function:
        COMMANDS[name] = (function, options)
        return function

    return declare


def _option(*flags: str, **settings: Any) -> _Option:
    """An `argparse` argument, added only when its command runs."""
    return flags, settings


# Option types: a bad value is a usage error (exit 2) naming the option and what was expected.

def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:  # NaN too
        raise argparse.ArgumentTypeError(f"expected a number of seconds, 0 or more, got {text!r}")
    return value


def _whole_number(low: int, high: int | None = None) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = low - 1
        if value < low or (high is not None and value > high):
            span = f"from {low} to {high}" if high is not None else f"{low} or more"
            raise argparse.ArgumentTypeError(f"expected a whole number {span}, got {text!r}")
        return value

    return parse


def _month(text: str) -> str:
    return _period_key(text, MONTH_KEY, "expected YYYY-MM, e.g. 2023-11")


def _week(text: str) -> str:
    return _period_key(text, WEEK_KEY, "expected an ISO week YYYY-Www, e.g. 2023-W47")


def _period_key(text: str, form: re.Pattern[str], expected: str) -> str:
    """An issue's month or week, as `Period` reads it: "2021-W53" has the form of a week, but
    2021 has no week 53."""
    if not form.fullmatch(text):
        raise argparse.ArgumentTypeError(f"{expected}, got {text!r}")
    try:
        Period.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def _time(text: str) -> str:
    try:
        datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an ISO time such as 2024-01-02T09:00, "
                                         f"got {text!r}") from None
    return text


def _wait(holder: str = "another run") -> _Option:
    return _option("--wait", type=_seconds, default=60, metavar="SECONDS",
                   help=f"how long to wait for {holder} that holds the store, then give up "
                        "(default: %(default)s)")


def _now(text: str = "act as if it were this time") -> _Option:
    return _option("--now", type=_time, metavar="TIME",
                   help=f"{text} (ISO, in the site's time zone unless it says otherwise)")


_LOG = (_option("--log-file", type=Path, metavar="FILE",
                help="also append the whole log to this file"),
        _option("-q", "--quiet", action="store_true",
                help="only warnings and errors on stderr (for cron)"))


# The commands, in the order the help lists them ------------------------------------------------

@_command("build", _wait())
def build(options: _Options, wait: float) -> None:
    """Read the sources, remember new items, and write changed feeds."""
    from feedsmith.pipeline import build as run_build

    config = options.config()
    report = run_build(config, datetime.now(UTC), wait)
    for problem in report.problems:
        print(f"warning: {problem}", file=sys.stderr)
    for failure in report.failures:
        print(f"error: {failure}", file=sys.stderr)
    merge = report.merge
    print(f"Sources: {report.files_read} file(s) read, {report.files_unchanged} unchanged, "
               f"{len(report.failures)} failed; {len(report.problems)} warning(s).")
    print(f"Entries: {merge.new} new, {merge.changed} updated, {report.stored} in the store.")
    out = _shown(config.output.dir)
    if report.written or report.unchanged:
        print(f"Output: {len(report.written)} file(s) written to {out}, "
                   f"{len(report.unchanged)} unchanged.")
    else:
        print(f"Output: {out} is up to date, nothing written.")
    if report.failures:
        sys.exit(1)


@_command("check", _option("--items", type=_whole_number(0), default=10, metavar="N",
                             help="how many items to show per source (default: %(default)s)"))
def check(options: _Options, items: int) -> None:
    """Check the config and read every source, touching nothing.

    Every source is read (URLs fetched) and shows the first items it gives and every warning;
    neither the store nor the output folder is touched.
    """
    from feedsmith.sources.preview import check_sources

    config = options.config()
    print(f"Config {config.path}: OK.")
    failed = False
    for preview in check_sources(config):
        print(f"\nSource {preview.name!r}: {len(preview.entries)} item(s), "
                   f"{len(preview.problems)} warning(s), {len(preview.failures)} failure(s).")
        _item_table([(e.category, e.day.isoformat(), e.title, e.link)
                     for e in preview.entries[:items]])
        for problem in preview.problems:
            print(f"  warning: {problem}")
        for failure in preview.failures:
            print(f"  error: {failure}")
        failed = failed or bool(preview.failures)
    if failed:
        sys.exit(1)


@_command("init", _option("listing", metavar="LISTING", help="a listing page's URL, or a file"))
def init(options: _Options, listing: str) -> None:
    """Write a starter config for LISTING, a URL or a file.

    Its format, date language and, for an HTML page, selectors are detected. An existing config
    is never overwritten.
    """
    from feedsmith.sources.preview import detect, starter_config, write_new

    target = options.config_path
    if target.exists():  # before fetching anything
        write_new(target, "")
    found = detect(listing, target.resolve().parent)
    print(f"{listing}: {found.kind}, dates in {found.language!r}, {len(found.items)} "
               f"item(s), {len(found.problems)} warning(s)"
               + (", read with CSS selectors " + ", ".join(f"{k} = {v!r}" for k, v in
                                                          found.selectors)
                  if found.selectors else "") + ".")
    _item_table([(i.category or "(none)", i.day.isoformat(), i.title, i.link)
                 for i in found.items[:10]])
    for problem in found.problems:
        print(f"  warning: {problem}")
    write_new(target, starter_config(found, datetime.now(UTC).date()))
    print(f"Wrote {target}: change what is marked CHANGE, then run `feedsmith check`.")


def _item_table(rows: list[tuple[str, str, str, str]]) -> None:
    if not rows:
        return
    print(f"  {'DATE':<10}  {'CATEGORY':<24}  {'TITLE':<48}  LINK")
    for category, day, title, link in rows:
        print(f"  {day:<10}  {_shorten(category, 24):<24}  {_shorten(title, 48):<48}  "
                   f"{link or '-'}")


@_command("entries",
          _option("--category", metavar="NAME", help="only this category (any spelling of it)"),
          _option("--month", type=_month, metavar="YYYY-MM",
                  help="only entries dated in this month"),
          _option("--long", dest="long_", action="store_true",
                  help="every field, and why it is in a feed or not"))
def entries(options: _Options, category: str | None, month: str | None, long_: bool) -> None:
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
    cap = config.output.max_entries
    if listed and not long_:
        print(f"{'DATE':<10}  {'FEEDS':<7}  {'CATEGORY':<30}  TITLE")
    for item in listed:
        print(_describe(item, cap) if long_ else _row(item, cap))
    print(f"{len(listed)} entr{'y' if len(listed) == 1 else 'ies'}"
               + (f" (feeds carry the newest {cap} of each)" if listed else ""), file=sys.stderr)


def _clock(config: Config, value: str | None) -> datetime:
    """--now (an ISO time, in the site's zone unless it says otherwise), or the real clock."""
    if value is None:
        return datetime.now(UTC)
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=config.site.timezone)


@_command("digest",
          _option("--month", type=_month, metavar="YYYY-MM",
                  help="the issue's month; default: the last whole month"),
          _option("--week", type=_week, metavar="YYYY-Www",
                  help='the issue\'s ISO week, with [digest] cadence = "weekly"; default: the last '
                       "whole week"),
          _option("--dry-run", action="store_true",
                  help="show what the issue would hold and write its HTML to a temporary file; "
                       "record nothing"),
          _option("--send", action="store_true", help="deliver the issue to [digest] to, once"),
          _option("--force", action="store_true",
                  help="with --send: send again to those already sent to"),
          _option("--rebuild", action="store_true", help="select and render an unsent issue again"),
          _option("--resend-unknown", action="store_true",
                  help="with --send: send again (same Message-ID) where the outcome is unknown"),
          _option("--ignore-archive", action="store_true",
                  help="build an issue the ledger lacks even though the published archive lists it"),
          _now(), _wait())
def digest(options: _Options, month: str | None, week: str | None, dry_run: bool, send: bool,
           force: bool, rebuild: bool, resend_unknown: bool, ignore_archive: bool,
           now: str | None, wait: float) -> None:
    """Build the newsletter issue of a month or week; --send mails it.

    The issue's web page, text and .eml go under <output>/digest/.
    """
    from feedsmith.newsletter.run import run_issue

    if month and week:
        raise UsageError("give --month or --week, not both")
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
            print(f"error: {failure}", file=sys.stderr)
        raise DigestError(f"{len(report.failed)} delivery problem(s); they are recorded and "
                             "the next `digest --send` retries them")


def _print_digest(report: DigestReport, config: Config, dry_run: bool) -> None:
    from feedsmith.newsletter.issue import LATE_HEADING

    if report.number is None:
        print(f"{report.month}: nothing new, so no issue"
                   + ("" if dry_run else " (recorded in the ledger)") + ".")
        return
    state = "new" if report.created or dry_run else "already built, unchanged"
    print(f"{report.subject} ({state}); email HTML {report.html_bytes / 1000:.1f} KB.")
    if report.layout is not None:
        layout = report.layout
        if layout.lead is not None:
            print(f"  Lead: {layout.lead.title}")
        for section in layout.sections:
            late = " (late arrivals)" if section.heading == LATE_HEADING else ""
            print(f"  {section.heading}{late}: {len(section.entries)} item(s)")
            if dry_run:
                for entry in section.entries:
                    print(f"    {entry.day}  {entry.title}")
    if report.preview is not None:
        print(f"Preview of the email: {report.preview} (open it in a browser; nothing was "
                   "recorded)")
    if report.editorial_changed is not None:
        print(f"note: {report.editorial_changed} changed since this issue was built; the "
                   "issue keeps the editorial it was built with (`--rebuild` uses the new one, "
                   "unless the issue was sent)", file=sys.stderr)
    if report.written:
        print(f"Wrote {', '.join(report.written)} under {_shown(config.output.dir)}")
    if report.sent or report.already_sent:
        print(f"Sent to {len(report.sent)} recipient(s); {len(report.already_sent)} had it "
                   "already.")
    if report.unknown:
        print(f"Not sent again to {', '.join(report.unknown)}: an earlier copy's outcome is "
                   f"unknown (it may have arrived); --resend-unknown sends it again.", file=sys.stderr)


@_command("run-due", _now(), _wait(), *_LOG)
def run_due(options: _Options, now: str | None, wait: float, log_file: Path | None,
            quiet: bool) -> None:
    """For cron: rebuild the feeds, then send every digest that is due.

    Idempotent: run it as often as you like; an issue goes to each recipient once.
    """
    from feedsmith.cli.logs import configure_logging
    from feedsmith.newsletter.run import run_due as run_due_core

    config = options.config()
    configure_logging(log_file, quiet, config.site.timezone)
    report = run_due_core(config, _clock(config, now), wait)
    if report.build_error or report.errors or (report.build and report.build.failures):
        sys.exit(1)


@_command("schedule",
          _option("--print", dest="print_only", action="store_true",
                  help="list the next run times and exit"),
          _now("with --print: list runs after this time"), *_LOG)
def schedule(options: _Options, print_only: bool, now: str | None, log_file: Path | None,
             quiet: bool) -> None:
    """Run as a service: build and send on the [schedule] times.

    Rebuilds the feeds and sends the digests that are due, until stopped.
    """
    from feedsmith.cli.logs import configure_logging
    from feedsmith.newsletter.run import logged_build
    from feedsmith.newsletter.run import run_due as run_due_core
    from feedsmith.schedule import Jobs, next_runs, serve

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
        run_due_core(options.config(), datetime.now(UTC))

    serve(jobs, build_job, due_job)


@_command("serve",
          _option("--bind", default="127.0.0.1", metavar="ADDRESS",
                  help="address to listen on (default: %(default)s)"),
          _option("--port", type=_whole_number(0, 65_535), default=8000,
                  help="port to listen on, 0 for any free one (default: %(default)s)"))
def serve(options: _Options, bind: str, port: int) -> None:
    """Preview the output folder in a browser, as production serves it.

    With the headers production needs (types, caching, the feeds' charset).
    """
    from feedsmith.web.serve import make_server

    config = options.config()
    folder = config.output.dir
    if not (folder / "index.html").is_file():
        raise FeedsmithError(f"{_shown(folder)} has no index.html yet: run `feedsmith build`")
    try:
        server = make_server(folder, bind, port)
    except OSError as exc:
        raise FeedsmithError(f"cannot listen on {bind}:{port}: {exc.strerror}") from None
    print(f"Serving {_shown(folder)} at http://{bind}:{server.server_port}/ (Ctrl-C to stop)")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@_command("status", _now())
def status(options: _Options, now: str | None) -> None:
    """What happened last, what runs next, and what needs attention.

    With the issue ledger: each issue's number, month and deliveries.
    """
    from feedsmith.status import status as current_status

    config = options.config()
    zone = config.site.timezone
    report = current_status(config, _clock(config, now))
    last = report.last_build
    print(f"Store: {report.store}")
    if last is None:
        print("Last build: none yet.")
    elif last.ok:
        print(f"Last build: {last.at.astimezone(zone):%Y-%m-%d %H:%M %Z}: "
                   f"{last.files_read} file(s) read, {last.files_unchanged} unchanged, "
                   f"{last.new} new, {last.changed} updated, {last.warnings} warning(s); "
                   f"{last.stored} entries in the store.")
    else:
        print(f"Last build: {last.at.astimezone(zone):%Y-%m-%d %H:%M %Z}: FAILED, nothing "
                   "could be read.")
    for name, when in (("build", report.next_build), ("digest", report.next_digest)):
        shown = f"{when:%Y-%m-%d %H:%M %Z}" if when else "never"
        print(f"Next {name}: {shown} ({getattr(config.schedule, name)})")
    print("Issues:" if report.issues else "Issues: none yet.")
    for issue in report.issues:
        print(f"  No. {issue.number:<4} {issue.month}  built "
                   f"{issue.built_at:%Y-%m-%d %H:%M}  sent {issue.sent}/{len(config.digest.to)}"
                   + (f", {issue.not_delivered} not delivered" if issue.not_delivered else ""))
    print("Needs attention:" if report.attention else "Nothing needs attention.")
    for line in report.attention:
        print(f"  - {line}")


@_command("store copy",
          _option("--to", dest="target", required=True, metavar="URL-OR-FILE",
                  help="a new store: postgresql://user@host:port/database, or an SQLite file"),
          _option("--password-env", default="", metavar="NAME",
                  help="the environment variable holding the target database's password (else "
                       "libpq's PGPASSWORD or ~/.pgpass)"),
          _wait("a run"))
def store_copy(options: _Options, target: str, password_env: str, wait: float) -> None:
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
