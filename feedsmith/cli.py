"""The `feedsmith` command: thin wrappers over `pipeline`, and the one place errors become exits.

Exit codes: 0 success; 1 failure (an `Error: ...` line on stderr), or a build that published but
could not read some source; 2 usage error. `--debug` shows the traceback behind an error.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from feedsmith import __version__
from feedsmith.config import Config, load_config
from feedsmith.errors import FeedsmithError
from feedsmith.pipeline import build as run_build


@dataclass(frozen=True, slots=True)
class _Options:
    config_path: Path
    debug: bool

    def config(self) -> Config:
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
    """Turn news listing pages into RSS and Atom feeds."""
    ctx.obj = _Options(config_path, debug)


@main.command()
@click.pass_obj
def build(options: _Options) -> None:
    """Read the sources and write the feeds, index.html and feeds.opml that changed."""
    config = options.config()
    report = run_build(config)
    for problem in report.problems:
        click.echo(f"warning: {problem}", err=True)
    for failure in report.failures:
        click.echo(f"error: {failure}", err=True)
    out = _shown(config.output.dir)
    click.echo(
        f"Read {report.files_read} file(s) from {report.sources} source(s): {report.entries} "
        f"entries, {len(report.problems)} warning(s), {len(report.failures)} failed source(s).")
    click.echo(f"Wrote {len(report.written)} file(s) to {out}, {len(report.unchanged)} unchanged "
               f"({report.feeds} feeds in RSS and Atom, index.html, feeds.opml).")
    if report.failures:
        sys.exit(1)


def _shown(path: Path) -> str:
    """A path as the user would type it: relative to the working directory when inside it."""
    try:
        return f"{path.relative_to(Path.cwd())}/"
    except ValueError:
        return f"{path}/"
