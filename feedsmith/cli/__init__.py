"""The `feedsmith` command: `parser` reads the command line, `commands` run one thing each (thin
calls into the library), `printing` shows their reports, and `main` is the one place errors
become exit codes.

Exit codes: 0 success; 1 failure (an `Error: ...` line on stderr), or a build that published but
could not read some source; 2 usage error; 130 interrupted (Ctrl-C); 141 the reader of the
output went away (`| head`). `--debug` shows the traceback behind an error.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from feedsmith.errors import FeedsmithError


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the command line, run one command, and turn its errors into exit codes."""
    from feedsmith.cli.commands import Options, UsageError
    from feedsmith.cli.parser import config_path, parser

    top = parser()
    namespace, unknown = top.parse_known_args(argv)
    arguments = vars(namespace)
    options = Options(config_path(arguments.pop("config", None)), arguments.pop("debug", False))
    run, command = arguments.pop("run", None), arguments.pop("command_parser", top)
    if unknown:  # said by the command's parser, whose usage shows what it takes
        command.error(f"unrecognized arguments: {' '.join(unknown)}")
    if run is None:  # `feedsmith` or `feedsmith store` alone: what there is to choose from
        command.print_help(sys.stderr)
        sys.exit(2)
    try:
        run(options, **arguments)
        sys.stdout.flush()  # a reader that went away shows here, not as Python exits
    except UsageError as error:
        command.error(str(error))
    except FeedsmithError as error:
        if options.debug:
            raise
        print(f"Error: {error}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:  # Ctrl-C: what was done is committed or rolled back already
        if options.debug:
            raise
        print("Aborted. What was done is kept; running the same command again completes the "
              "rest (a build writes the feeds left pending, a send goes on with those not yet "
              "sent).", file=sys.stderr)
        sys.exit(130)  # 128 + SIGINT, as shells report it
    except BrokenPipeError:  # `feedsmith entries | head`: the reader has what it wanted
        if options.debug:
            raise
        sys.exit(141)  # 128 + SIGPIPE, as shells report it
