"""The web edition: the home page, a page per category and an archive page per month.

Every entry has a permanent home on the archive page of the month it is listed in (see
`feedsmith.identity.permalink`); feeds and digests link there when an item has no link of its own.
Links between pages are relative, so the folder reads the same under `feedsmith serve`, on disk
and at `base_url`. No script, no external asset: one small shared stylesheet.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from feedsmith import templates
from feedsmith.config import SiteConfig
from feedsmith.dates import long_date, month_label
from feedsmith.entry import Entry
from feedsmith.identity import anchor, archive_page, category_slug
from feedsmith.web.feeds import Feed

PAGE_STYLESHEET = "style.css"
# Stylesheets copied as they are into the output folder: the pages' and the feeds' (`feeds.py`).
STYLESHEETS = (PAGE_STYLESHEET, "feed.css")


def stylesheets() -> dict[str, bytes]:
    return {name: (templates() / name).read_bytes() for name in STYLESHEETS}


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
    def entry_list(entries: list[Entry], anchored: bool = False,
                   show_category: bool = True) -> Markup:
        return Markup("".join(["<ol class=\"entries\">\n", *(
            _entry_html(entry, site, root, anchored, show_category)
            for entry in entries), "</ol>"]))

    from feedsmith.web.templating import environment  # Jinja: only when a page is rendered

    page = environment().get_template(template).render(
        context, site=site, root=root, archive_page=archive_page, entry_list=entry_list,
        month_label=lambda month: month_label(month, site.date_locale()))
    return page.encode("utf-8")


def _entry_html(entry: Entry, site: SiteConfig, root: str, anchored: bool,
                show_category: bool) -> str:
    """One entry of a list: its title linked to its own link (else its permalink), its date,
    category (linked to the category's page) and summary; on an archive page (`anchored`) under
    its permalink's anchor, with a permalink mark."""
    href = escape_html(entry.link or root + entry.home)
    title = escape_html(entry.title)
    here = anchor(entry.id) if anchored else ""
    attributes = f' id="{here}"' if anchored else ""
    if entry.language and entry.language != site.language:
        attributes += f' lang="{escape_html(entry.language)}"'
    parts = [f"<li{attributes}>\n"]
    if entry.image:
        alt = escape_html(entry.image_alt or entry.title)
        parts.append(f'<a class="thumb" href="{href}" tabindex="-1" aria-hidden="true">'
                     f'<img src="{escape_html(entry.image)}" alt="{alt}" width="120" height="80" '
                     f'loading="lazy"></a>\n')
    day = entry.published.date()
    # On its own archive page, an item without a page of its own is a heading, not a link to
    # the place it already is; its permalink mark says where that is.
    heading = title if anchored and not entry.link else f'<a href="{href}">{title}</a>'
    parts.append(f'<h3>{heading}</h3>\n<p class="meta"><time datetime="'
                 f'{day.isoformat()}">{long_date(day, site.date_locale())}</time>')
    if show_category:
        page = escape_html(root + category_slug(entry.category) + ".html")
        parts.append(f' · <a href="{page}">{escape_html(entry.category)}</a>')
    if anchored:
        parts.append(f' · <a href="#{here}" aria-label="Permalink to this item">#</a>')
    parts.append("</p>\n")
    if entry.summary:
        parts.append(f"<p>{escape_html(entry.summary)}</p>\n")
    parts.append("</li>\n")
    return "".join(parts)


def escape_html(text: str) -> str:
    """`text` safe in HTML content and quoted attributes: what `markupsafe.escape` gives, as plain
    str replaces (half a million fields per cold build; markupsafe wraps each in a Markup)."""
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&#34;").replace("'", "&#39;"))
