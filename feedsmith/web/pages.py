"""The web edition: the home page (the newest items first), a page per category, and the
archive: its index of months and a page per month. Every page has the same top navigation.

Every entry has a permanent home on the archive page of the month it is listed in (see
`feedsmith.identity.permalink`); feeds and digests link there when an item has no link of its own.
Links between pages are relative, so the folder reads the same under `feedsmith serve`, on disk
and at `base_url`. No script (but the optional search box, `search.py`), no external asset: one
small shared stylesheet.
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


def render_home(feeds: list[Feed], months: dict[str, int], site: SiteConfig,
                newsletter: bool, search: bool) -> bytes:
    """News first: the newest `home_items` items and the way on to the archive (and, with
    `search`, a search box over it that only JavaScript shows); then the categories, each with
    its "Follow" link, and how to follow everything, in plain words."""
    everything, categories = feeds[0], feeds[1:]
    return _render("index.html.j2", site, "", newsletter, here="latest", search=search,
                   feed=everything,
                   latest=everything.entries[:site.home_items], categories=categories,
                   total=sum(months.values()))


def render_archive_index(months: dict[str, int], site: SiteConfig, newsletter: bool) -> bytes:
    """Every month that lists an item, newest first, by year, with its count."""
    years: dict[str, list[tuple[str, int]]] = {}
    for month, count in sorted(months.items(), reverse=True):
        years.setdefault(month[:4], []).append((month, count))
    return _render("archive-index.html.j2", site, "../", newsletter, here="archive", years=years,
                   total=sum(months.values()))


def render_category(feed: Feed, site: SiteConfig, newsletter: bool) -> list[tuple[str, bytes]]:
    """A category's items, `page_items` a page: `<slug>.html`, then `<slug>/2.html`, ...,
    linked to each other (and marked `rel="prev"`/`"next"`); the last leads on to the archive."""
    size = site.page_items
    count = max(1, -(-len(feed.entries) // size))
    names = [feed.page_name, *(category_page(feed.slug, n) for n in range(2, count + 1))]
    pages = []
    for at, name in enumerate(names):
        root = "" if at == 0 else "../"
        pages.append((name, _render(
            "category.html.j2", site, root, newsletter, here="", feed=feed,
            entries=feed.entries[at * size:(at + 1) * size], first=at * size + 1,
            number=at + 1, count=count,
            newer=root + names[at - 1] if at > 0 else None,
            older=root + names[at + 1] if at + 1 < count else None)))
    return pages


def category_page(slug: str, number: int) -> str:
    """The name of a category's `number`th page (the first is `<slug>.html`)."""
    return f"{slug}/{number}.html"


def render_month(month: str, entries: list[Entry], months: list[str], site: SiteConfig,
                 newsletter: bool) -> bytes:
    """Every entry listed in `month`, each under its permalink's anchor, with the months before
    and after it."""
    at = months.index(month)
    before = months[at - 1] if at > 0 else None
    after = months[at + 1] if at + 1 < len(months) else None
    return _render("archive.html.j2", site, "../", newsletter, here="archive", month=month,
                   entries=entries, before=before, after=after)


def neighbours(stale: set[str], months: list[str]) -> set[str]:
    """The stale months and those beside them, whose previous/next links may have changed."""
    around = set(stale)
    for at, month in enumerate(months):
        if month in stale:
            around.update(months[max(0, at - 1):at + 2])
    return around


def _render(template: str, site: SiteConfig, root: str, newsletter: bool,
            **context: Any) -> bytes:
    """`root` leads from the page back to the output folder ("" or "../"); `newsletter`: the
    navigation links the newsletter's past issues (once there is one); `here` (in `context`):
    the navigation's current place ("latest", "archive" or "")."""
    def entry_list(entries: list[Entry], anchored: bool = False,
                   show_category: bool = True) -> Markup:
        return Markup("".join(["<ol class=\"entries\">\n", *(
            _entry_html(entry, site, root, anchored, show_category)
            for entry in entries), "</ol>"]))

    from feedsmith.web.templating import environment  # Jinja: only when a page is rendered

    page = environment().get_template(template).render(
        context, site=site, root=root, newsletter=newsletter, archive_page=archive_page,
        entry_list=entry_list,
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
    parts.append(f'<h2>{heading}</h2>\n<p class="meta"><time datetime="'
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
