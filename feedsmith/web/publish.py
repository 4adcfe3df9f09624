"""Rendering what a build made stale (feeds, their pages, archive months, the site files) and
putting it in place all at once, with the work shared between this process and a forked child
when there is enough of it for two cores to matter.

The work is a list of jobs: a stale feed (RSS, Atom, JSON Feed and its page), the site files
(home page, OPML, stylesheets), an archive month. The child takes jobs from the end (the
newest months first) until it holds about half the estimated time, stages its files as temp
files and hands its Staging over; the parent renders the rest, adopts the child's files, and
renames everything into place, or discards everything. The child is forked while the parent
has no connection to the store open, and opens its own (SQLite's rule for fork).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from feedsmith.config import Config
from feedsmith.forked import InChild
from feedsmith.identity import ALL, ARCHIVE, archive_page
from feedsmith.store.engines import open_database
from feedsmith.store.queries import Store
from feedsmith.web.feeds import Feed, render_atom, render_json, render_opml, render_rss
from feedsmith.web.files import Staging, assets, remove_stale_temp_files
from feedsmith.web.pages import (
    category_page,
    render_archive_index,
    render_category,
    render_home,
    render_month,
    stylesheets,
)

ARCHIVE_INDEX = f"{ARCHIVE}/index.html"
Job = tuple[str, str]  # ("feed", slug), ("site", ""), ("month", "YYYY-MM")

# Estimated cost of each job in microseconds on the bench machine (a feed is four files from
# feedgen and Jinja; a month costs per entry), and the least worth a fork and a connection.
_FEED_US = 13_000
_SITE_US = 10_000
_MONTH_US, _MONTH_ENTRY_US = 1_000, 25
FORK_AT_US = 150_000


def publish(stale: list[Feed], feeds: list[Feed], months: dict[str, int],
            months_to_render: list[str], config: Config, newsletter: bool) -> Staging:
    """Render the stale feeds (with the site files) and months, then rename all into place; the
    Staging tells what was written and what was unchanged. Call with no store connection open.
    `newsletter`: whether there is an issue for the pages' navigation to lead to."""
    remove_stale_temp_files(config.output.dir)
    jobs: list[Job] = [("feed", feed.slug) for feed in stale] + [("site", "")]
    jobs += [("month", month) for month in months_to_render]
    mine, theirs = split(jobs, months)
    with (InChild(lambda: _stage_in_child(config, theirs, stale, feeds, months, newsletter))
          if theirs
          else contextlib.nullcontext(()) as helper,
          open_database(config.store) as database,
          Staging(config.output.dir) as staging):
        for name, data in render(Store(database), config, mine, stale, feeds, months,
                                 newsletter):
            staging.add(name, data)
        adopted: Iterable[Staging] = helper
        for staged in adopted:
            staging.adopt(staged)
    return staging


def split(jobs: list[Job], months: dict[str, int]) -> tuple[list[Job], list[Job]]:
    """The parent's jobs and the child's: the child's from the end, up to half of the estimated
    time, and none when that is too little to be worth a fork."""
    costs = [_cost(job, months) for job in jobs]
    half = sum(costs) / 2
    taken, at = 0, len(jobs)
    while at > 0 and taken + costs[at - 1] <= half:
        at -= 1
        taken += costs[at]
    if taken < FORK_AT_US:
        return jobs, []
    return jobs[:at], jobs[at:]


def _cost(job: Job, months: dict[str, int]) -> int:
    kind, key = job
    if kind == "feed":
        return _FEED_US
    if kind == "site":
        return _SITE_US
    return _MONTH_US + _MONTH_ENTRY_US * months.get(key, 0)


def render(store: Store, config: Config, jobs: list[Job], stale: list[Feed], feeds: list[Feed],
           months: dict[str, int], newsletter: bool) -> Iterator[tuple[str, bytes | None]]:
    """The files of these jobs, one at a time: a stale feed in every format with its page; the
    home page, the archive's index, OPML and stylesheets (which list or serve every feed or
    month); an archive month. A file to be removed comes as (name, None)."""
    site = config.site
    full = config.output.content == "full"
    by_slug = {feed.slug: feed for feed in stale}
    for kind, key in jobs:
        if kind == "feed":
            feed = by_slug[key]
            yield feed.rss_name, render_rss(feed, site, full)
            yield feed.atom_name, render_atom(feed, site, full)
            yield feed.json_name, render_json(feed, site, full)
            if feed.slug != ALL:
                pages = render_category(feed, site, newsletter)
                yield from pages
                yield from ((name, None) for name in
                            _pages_beyond(config.output.dir, feed.slug, len(pages)))
        elif kind == "site":
            yield "index.html", render_home(feeds, months, site, newsletter,
                                            config.output.search)
            yield ARCHIVE_INDEX, render_archive_index(months, site, newsletter)
            yield "feeds.opml", render_opml(feeds, site)
            yield from assets(config.output.assets)
            yield from stylesheets().items()
        else:
            entries = store.month_entries(key, site.timezone)
            yield archive_page(key), render_month(key, entries, list(months), site, newsletter)


def _pages_beyond(folder: Path, slug: str, count: int) -> list[str]:
    """A category's pages numbered past `count`, left from when it had more items: removed."""
    try:
        names = os.listdir(folder / slug)
    except (FileNotFoundError, NotADirectoryError):
        return []
    numbers = sorted(int(n[:-5]) for n in names if n.endswith(".html") and n[:-5].isdigit())
    return [category_page(slug, n) for n in numbers if n > count]


def _stage_in_child(config: Config, jobs: list[Job], stale: list[Feed], feeds: list[Feed],
                    months: dict[str, int], newsletter: bool) -> Iterator[Staging]:
    """In the child process: stage these jobs' files, for the parent to publish or discard."""
    staging = Staging(config.output.dir)
    try:
        with open_database(config.store, create=False) as database:
            for name, data in render(Store(database), config, jobs, stale, feeds, months,
                                     newsletter):
                staging.add(name, data)
        staging.settle()  # on the disk, and nothing left that pickle cannot carry
    except BaseException:
        staging.discard()
        raise
    yield staging
