"""The web edition: the home page, a page per category and an archive page per month.

Every entry has a permanent home on the archive page of the month it is listed in (see
`feedsmith.identity.permalink`); feeds and digests link there when an item has no link of its own.
Links between pages are relative, so the folder reads the same under `feedsmith serve`, on disk
and at `base_url`. No script, no external asset: one small shared stylesheet.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from importlib.resources import files
from typing import Any

from babel.dates import format_date

from feedsmith.config import SiteConfig
from feedsmith.dates import babel_locale, month_label
from feedsmith.entry import Entry
from feedsmith.feeds import Feed
from feedsmith.identity import anchor, archive_page
from feedsmith.templating import environment

PAGE_STYLESHEET = "style.css"
# Stylesheets copied as they are into the output folder: the pages' and the feeds' (`feeds.py`).
STYLESHEETS = (PAGE_STYLESHEET, "feed.css")


def stylesheets() -> dict[str, bytes]:
    folder = files("feedsmith.templates")
    return {name: (folder / name).read_bytes() for name in STYLESHEETS}


def render_home(feeds: list[Feed], months: dict[str, int], site: SiteConfig) -> bytes:
    """The feed of everything as a page, the categories with what their feeds carry, how to
    subscribe, and the archive's months."""
    everything, categories = feeds[0], feeds[1:]
    return _render("index.html.j2", site, "", feed=everything, categories=categories,
                   months=sorted(months.items(), reverse=True))


def render_category(feed: Feed, site: SiteConfig) -> bytes:
    return _render("category.html.j2", site, "", feed=feed)


def render_month(month: str, entries: list[Entry], months: list[str], site: SiteConfig) -> bytes:
    """Every entry listed in `month`, each under its permalink's anchor, with the months before
    and after it."""
    at = months.index(month)
    before = months[at - 1] if at > 0 else None
    after = months[at + 1] if at + 1 < len(months) else None
    return _render("archive.html.j2", site, "../", month=month, entries=entries,
                   before=before, after=after)


def neighbours(stale: set[str], months: list[str]) -> set[str]:
    """The stale months and those beside them, whose previous/next links may have changed."""
    around = set(stale)
    for at, month in enumerate(months):
        if month in stale:
            around.update(months[max(0, at - 1):at + 2])
    return around


def _render(template: str, site: SiteConfig, root: str, **context: Any) -> bytes:
    """`root` leads from the page back to the output folder ("" or "../")."""
    page = environment().get_template(template).render(
        context, site=site, root=root, anchor=anchor, archive_page=archive_page,
        long_date=_long_date(site.language), month_label=lambda month: month_label(month, site.language),
        href=lambda entry: entry.link or root + entry.home)
    return page.encode("utf-8")


def _long_date(language: str) -> Callable[[datetime], str]:
    locale = babel_locale(language)
    return lambda moment: format_date(moment, format="long", locale=locale)
