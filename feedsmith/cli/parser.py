"""The command line as argparse reads it: one sub-parser per command, each option's type and help.

The global options (`--config`, `--debug`) are accepted before or after the command
(`feedsmith --config x.toml build` and `feedsmith build --config x.toml`): every parser shares
them, and a value given before the command is kept unless the command's own repeats it.
"""

from __future__ import annotations

import argparse
import os
import re
import textwrap
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from feedsmith import __version__
from feedsmith.cli import commands
from feedsmith.period import MONTH_KEY, WEEK_KEY, Period

ABOUT = """\
Turn news listing pages into RSS, Atom and JSON feeds, a web edition, and a monthly or weekly
email newsletter.

Start with `feedsmith init URL-OR-FILE` for a config, `feedsmith check` to see what it reads,
then `feedsmith build`; `feedsmith digest` makes the newsletter, `run-due` (cron) or `schedule`
(a service) do both on time."""

DEFAULT_CONFIG = "config.toml"


class Parser(argparse.ArgumentParser):
    """argparse's parser, with "did you mean" for a mistyped command (as config keys have it)."""

    def error(self, message: str) -> None:  # type: ignore[override]  # NoReturn in typeshed
        choice = re.match(r"argument COMMAND: invalid choice: '([^']*)'", message)
        if choice:
            from feedsmith.config.table import did_you_mean

            names = self.command_names()
            message = (f"no such command {choice[1]!r}{did_you_mean(choice[1], set(names))}; "
                       f"the commands are: {', '.join(names)}")
        super().error(message)

    def command_names(self) -> list[str]:
        return [name for action in self._actions if isinstance(action, argparse._SubParsersAction)
                for name in action.choices]


def parser() -> Parser:
    """`feedsmith` and its commands, in the order the help lists them."""
    shared = _global_options()
    top = Parser(prog="feedsmith", description=ABOUT, parents=[shared],
                 formatter_class=argparse.RawDescriptionHelpFormatter, allow_abbrev=False)
    top.add_argument("--version", action="version", version=f"feedsmith, version {__version__}")
    chosen = top.add_subparsers(metavar="COMMAND", parser_class=Parser)

    def command(name: str, run: Callable[..., None], into: argparse._SubParsersAction[Parser]
                = chosen) -> Parser:
        """A command's parser: its docstring is its help, the first line in the list."""
        text = _docstring(run)
        sub = into.add_parser(name, help=text.splitlines()[0], description=text, parents=[shared],
                              formatter_class=argparse.RawDescriptionHelpFormatter,
                              allow_abbrev=False)  # `--wai` must not become --wait
        sub.set_defaults(run=run, command_parser=sub)  # its usage, for errors it cannot see
        return sub

    _wait(command("build", commands.build))
    check = command("check", commands.check)
    check.add_argument("--items", type=whole_number(0), default=10, metavar="N",
                       help="how many items to show per source (default: %(default)s)")
    check.add_argument("--save", type=Path, metavar="DIR",
                       help="keep each source's listing and the items read from it in DIR")
    check.add_argument("--against", type=Path, metavar="DIR",
                       help="read the listings kept in DIR offline; fail where the items differ")
    init = command("init", commands.init)
    init.add_argument("listing", metavar="LISTING", help="a listing page's URL, or a file")
    init.add_argument("--render", choices=["browser"],
                      help="load the page in headless Chromium first: for a page whose items "
                           "a script adds (needs feedsmith[browser])")
    _entries(command("entries", commands.entries))
    _wait(command("refresh", commands.refresh)).add_argument(
        "items", nargs="+", metavar="ITEM", help="an entry's id or link")
    _digest(command("digest", commands.digest))
    _log(_wait(_now(command("run-due", commands.run_due))))
    schedule = command("schedule", commands.schedule)
    schedule.add_argument("--print", dest="print_only", action="store_true",
                          help="list the next run times and exit")
    _log(_now(schedule, "with --print: list runs after this time"))
    serve = command("serve", commands.serve)
    serve.add_argument("--bind", default="127.0.0.1", metavar="ADDRESS",
                       help="address to listen on (default: %(default)s)")
    serve.add_argument("--port", type=whole_number(0, 65_535), default=8000,
                       help="port to listen on, 0 for any free one (default: %(default)s)")
    _now(command("status", commands.status))
    store = chosen.add_parser("store", help="Work on the state database as a whole.",
                              description="Work on the state database as a whole.",
                              parents=[shared], allow_abbrev=False)
    store.set_defaults(command_parser=store)  # `feedsmith store` alone: its help
    _store_copy(command("copy", commands.store_copy,
                        store.add_subparsers(metavar="COMMAND", parser_class=Parser)))
    sources = chosen.add_parser("sources", help="Look after the sources' health.",
                                description="Look after the sources' health.",
                                parents=[shared], allow_abbrev=False)
    sources.set_defaults(command_parser=sources)
    _wait(command("accept", commands.sources_accept,
                  sources.add_subparsers(metavar="COMMAND", parser_class=Parser))).add_argument(
        "name", metavar="NAME", help="the [[sources]] name")
    return top


def _global_options() -> Parser:
    """`--config` and `--debug`, for `feedsmith` and every command. SUPPRESS: a command's parser
    sets them only when given after the command, so one given before it stands."""
    shared = Parser(add_help=False)
    shared.add_argument("--config", type=Path, metavar="FILE", default=argparse.SUPPRESS,
                        help="the config file (env: FEEDSMITH_CONFIG; default: "
                             f"{DEFAULT_CONFIG})")
    shared.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show the traceback behind an error")
    return shared


def config_path(given: Path | None) -> Path:
    """--config, else $FEEDSMITH_CONFIG, else config.toml in the working directory."""
    return given or Path(os.environ.get("FEEDSMITH_CONFIG") or DEFAULT_CONFIG)


def _docstring(function: Callable[..., None]) -> str:
    """A command's docstring as its help: the first line, then the rest without its indent."""
    first, _, rest = (function.__doc__ or "").strip().partition("\n")
    return f"{first}\n{textwrap.dedent(rest)}".rstrip()


# Options that several commands share --------------------------------------------------------

def _wait(command: Parser, holder: str = "another run") -> Parser:
    command.add_argument("--wait", type=seconds, default=60, metavar="SECONDS",
                         help=f"how long to wait for {holder} that holds the store, then give "
                              "up (default: %(default)s)")
    return command


def _now(command: Parser, text: str = "act as if it were this time") -> Parser:
    command.add_argument("--now", type=iso_time, metavar="TIME",
                         help=f"{text} (ISO, in the site's time zone unless it says otherwise)")
    return command


def _log(command: Parser) -> Parser:
    command.add_argument("--log-file", type=Path, metavar="FILE",
                         help="also append the whole log to this file")
    command.add_argument("-q", "--quiet", action="store_true",
                         help="only warnings and errors on stderr (for cron)")
    return command


def _entries(command: Parser) -> None:
    command.add_argument("--category", metavar="NAME",
                         help="only this category (any spelling of it)")
    command.add_argument("--month", type=month, metavar="YYYY-MM",
                         help="only entries dated in this month")
    command.add_argument("--long", dest="long_", action="store_true",
                         help="every field, and why it is in a feed or not")


def _digest(command: Parser) -> None:
    command.add_argument("--month", type=month, metavar="YYYY-MM",
                         help="the issue's month; default: the last whole month")
    command.add_argument("--week", type=week, metavar="YYYY-Www",
                         help='the issue\'s ISO week, with [digest] cadence = "weekly"; '
                              "default: the last whole week")
    command.add_argument("--dry-run", action="store_true",
                         help="show what the issue would hold and write its HTML to a temporary "
                              "file; record nothing")
    command.add_argument("--send", action="store_true",
                         help="deliver the issue to [digest] to, once")
    command.add_argument("--force", action="store_true",
                         help="with --send: send again to those already sent to")
    command.add_argument("--rebuild", action="store_true",
                         help="select and render an unsent issue again")
    command.add_argument("--resend-unknown", action="store_true",
                         help="with --send: send again (same Message-ID) where the outcome is "
                              "unknown")
    command.add_argument("--ignore-archive", action="store_true",
                         help="build an issue the ledger lacks even though the published archive "
                              "lists it")
    command.add_argument("--accept-suspect", action="store_true",
                         help="build and send the issue even while a source looks broken")
    _wait(_now(command))


def _store_copy(command: Parser) -> None:
    command.add_argument("--to", dest="target", required=True, metavar="URL-OR-FILE",
                         help="a new store: postgresql://user@host:port/database, or an SQLite "
                              "file")
    command.add_argument("--password-env", default="", metavar="NAME",
                         help="the environment variable holding the target database's password "
                              "(else libpq's PGPASSWORD or ~/.pgpass)")
    _wait(command, "a run")


# Option types: a bad value is a usage error (exit 2) naming the option and what was expected --

def seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:  # NaN too
        raise argparse.ArgumentTypeError(f"expected a number of seconds, 0 or more, got {text!r}")
    return value


def whole_number(low: int, high: int | None = None) -> Callable[[str], int]:
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


def month(text: str) -> str:
    return _period_key(text, MONTH_KEY, "expected YYYY-MM, e.g. 2023-11")


def week(text: str) -> str:
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


def iso_time(text: str) -> str:
    try:
        datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an ISO time such as 2024-01-02T09:00, "
                                         f"got {text!r}") from None
    return text
