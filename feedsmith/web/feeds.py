"""Feeds -> RSS 2.0, Atom 1.0 and JSON Feed 1.1 documents, one set per category and one for
everything, and the OPML that subscribes to the categories.

Everything a feed says is derived from its entries, never from the clock: the feed's `updated` and
`lastBuildDate` are its newest entry's `updated`, so unchanged input gives unchanged bytes.

Every item links somewhere: its own link, else its permalink in the web edition (`Entry.url`).
With `[output] content = "full"`, an item whose page was followed carries its full text (RSS
`content:encoded`, Atom `content type="html"`, JSON Feed `content_html`: the same sanitised
HTML, see `feedsmith.sources.article`), and its summary stays the short plain teaser.
RSS and Atom name `feed.css`, so a person who opens a feed in a browser reads a page, not markup:
browsers are dropping XSLT, while a CSS stylesheet for XML works wherever the feed is served as
XML (see `feedsmith.web.serve`).
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from feedsmith.config import SiteConfig
from feedsmith.entry import EPOCH, Entry

if TYPE_CHECKING:
    from feedgen.feed import FeedGenerator
    from lxml.etree import _Element

# feedgen and lxml are imported where a feed is rendered: a build with nothing to write (most
# cron ticks) does not load them.

FEED_STYLESHEET = "feed.css"  # beside the feeds in the output folder


class Feed(NamedTuple):
    """One published feed: `<slug>.rss`, `.atom` and `.json` carry `entries`, newest first."""

    slug: str
    category: str | None  # None for the feed of everything; else its newest entry's spelling
    entries: tuple[Entry, ...]  # at most max_entries

    @property
    def rss_name(self) -> str:
        return f"{self.slug}.rss"

    @property
    def atom_name(self) -> str:
        return f"{self.slug}.atom"

    @property
    def json_name(self) -> str:
        return f"{self.slug}.json"

    @property
    def page_name(self) -> str:
        """The same feed as a web page: the home page for everything, else `<slug>.html`."""
        return "index.html" if self.category is None else f"{self.slug}.html"

    def page_url(self, base_url: str) -> str:
        return base_url if self.category is None else base_url + self.page_name

    @property
    def updated(self) -> datetime | None:
        return max((e.updated for e in self.entries), default=None)

    def title(self, site_title: str) -> str:
        return f"{site_title}: {self.category}" if self.category else site_title

    def description(self, site_title: str) -> str:
        what = f"“{self.category}” items" if self.category else "All items"
        return f"{what} from {site_title}"


def render_atom(feed: Feed, site: SiteConfig, full: bool) -> bytes:
    generator = _generator(feed, site, feed.atom_name, "application/atom+xml")
    if site.icon:
        generator.icon(site.icon)
    if site.logo:
        generator.logo(site.logo)
    _with_media(generator, feed)
    for entry in feed.entries:
        item = generator.add_entry(order="append")
        _common(item, entry, site.base_url)
        if entry.author:
            item.author({"name": entry.author})
        if full and entry.content:
            if entry.summary:
                item.summary(entry.summary, type="text")
            item.content(entry.content, type="html")
        else:
            item.content(entry.summary or entry.title, type="text")
    document = bytes(generator.atom_str(pretty=True))
    foreign = {e.id: e.language for e in feed.entries if e.language and e.language != site.language}
    return _styled(_with_entry_languages(document, foreign) if foreign else document)


def _with_entry_languages(document: bytes, languages: dict[str, str]) -> bytes:
    """Mark entries from a listing in another language with `xml:lang` (feedgen cannot)."""
    from lxml import etree

    root = etree.fromstring(document)
    for element in root.iter(f"{_ATOM}entry"):
        language = languages.get(element.findtext(f"{_ATOM}id") or "")
        if language:
            element.set(f"{{{_XML}}}lang", language)
    return _serialized(root)


def render_rss(feed: Feed, site: SiteConfig, full: bool) -> bytes:
    generator = _generator(feed, site, feed.rss_name, "application/rss+xml")
    if site.logo:
        generator.image(site.logo)  # feedgen gives it the channel's title and link (validators ask)
    _with_media(generator, feed)
    if any(entry.author for entry in feed.entries):  # RSS's own <author> is an email address
        generator.load_extension("dc")
    for entry in feed.entries:
        item = generator.add_entry(order="append")
        _common(item, entry, site.base_url)
        if entry.summary:  # RSS readers read a description as HTML: the text is escaped
            item.description(_as_html(entry.summary))
        if full and entry.content:
            item.content(entry.content)  # content:encoded (the description if there is none)
        if entry.author:
            item.dc.dc_creator(entry.author)
    document = bytes(generator.rss_str(pretty=True))
    return _styled(_with_hub(document, site.hub) if site.hub else document)


def _with_hub(document: bytes, hub: str) -> bytes:
    """The RSS channel's `<atom:link rel="hub">` beside its self link (feedgen writes only the
    self link into RSS), as WebSub asks of a topic."""
    from lxml import etree

    root = etree.fromstring(document)
    self_link = root.find(f"channel/{_ATOM}link[@rel='self']")
    assert self_link is not None  # `_generator` gives every feed one
    hub_link = etree.Element(f"{_ATOM}link", href=hub, rel="hub")
    hub_link.tail = self_link.tail  # on a line of its own, indented as the self link
    self_link.addnext(hub_link)
    return _serialized(root)


def _serialized(root: _Element) -> bytes:
    """A feed rewritten with lxml, in feedgen's own form (its declaration, indentation and
    final newline), so marking one entry changes only that entry's lines."""
    from lxml import etree

    return bytes(etree.tostring(root, pretty_print=True, encoding="UTF-8", xml_declaration=True))


_MARKUP = re.compile(r"<|&(?=[#A-Za-z0-9])")


def _as_html(text: str) -> str:
    """Plain text as HTML that reads as the same text: "<" always escaped, "&" where it could
    start a character reference ("&lt;", "&copy", "&#60"). A lone "&" ("coops & SMEs") stays
    as it is, which HTML reads as itself, so a feed opened in a browser does not show "&amp;"."""
    return _MARKUP.sub(lambda match: "&lt;" if match[0] == "<" else "&amp;", text)


def render_json(feed: Feed, site: SiteConfig, full: bool) -> bytes:
    """JSON Feed 1.1 (https://jsonfeed.org/version/1.1): the same items, ids, order and links."""
    document: dict[str, Any] = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": feed.title(site.title),
        "home_page_url": feed.page_url(site.base_url),
        "feed_url": site.base_url + feed.json_name,
        "description": feed.description(site.title),
        "language": site.language,
        "authors": [{"name": site.author_name}],
    }
    if site.hub:
        document["hubs"] = [{"type": "WebSub", "url": site.hub}]
    if site.logo:
        document["icon"] = site.logo
    if site.icon:
        document["favicon"] = site.icon
    document["items"] = [_json_item(entry, site, full) for entry in feed.entries]
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _json_item(entry: Entry, site: SiteConfig, full: bool) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": entry.id,
        "url": entry.url(site.base_url),
        "title": entry.title,
        **({"content_html": entry.content} if full and entry.content
           else {"content_text": entry.summary or entry.title}),
        "date_published": entry.published.isoformat(),
        "date_modified": entry.updated.isoformat(),
        "tags": [entry.category],
    }
    if entry.author:
        item["authors"] = [{"name": entry.author}]
    if entry.summary:
        item["summary"] = entry.summary
    if entry.image:
        item["image"] = entry.image
    if entry.language and entry.language != site.language:
        item["language"] = entry.language
    return item


def render_opml(feeds: list[Feed], site: SiteConfig) -> bytes:
    """OPML 2.0 subscribing to each category once (Atom), so that one import shows every item
    exactly once. With the feed of everything too, a reader would show each item twice, or (keying
    items by id) one of the two feeds empty; that feed is offered on its own on the home page.
    """
    import xml.etree.ElementTree as ET

    opml = ET.Element("opml", version="2.0")
    head = ET.SubElement(opml, "head")
    ET.SubElement(head, "title").text = f"{site.title}: every category"
    body = ET.SubElement(opml, "body")
    for feed in feeds:
        if feed.category is None:
            continue
        title = feed.title(site.title)
        ET.SubElement(body, "outline", type="rss", text=title, title=title,
                      xmlUrl=site.base_url + feed.atom_name, htmlUrl=feed.page_url(site.base_url))
    ET.indent(opml)
    return bytes(ET.tostring(opml, encoding="UTF-8", xml_declaration=True)) + b"\n"


def _styled(document: bytes) -> bytes:
    """The document naming the stylesheet browsers show it with, after the XML declaration."""
    declaration, _, rest = document.partition(b"\n")
    stylesheet = f'<?xml-stylesheet type="text/css" href="{FEED_STYLESHEET}"?>'.encode()
    return b"\n".join((declaration, stylesheet, rest))


def _generator(feed: Feed, site: SiteConfig, file_name: str, media_type: str) -> FeedGenerator:
    from feedgen.feed import FeedGenerator

    generator = FeedGenerator()
    generator.id(f"tag:{site.id_authority}:feeds/{feed.slug}")
    generator.title(feed.title(site.title))
    generator.description(feed.description(site.title))
    # Order matters: feedgen 1.0.0 makes the *last* link the RSS channel <link>.
    if site.hub:  # WebSub: where readers subscribe for pushes (RSS: see `_with_hub`)
        generator.link(href=site.hub, rel="hub")
    generator.link(href=site.base_url + file_name, rel="self", type=media_type)
    generator.link(href=feed.page_url(site.base_url), rel="alternate", type="text/html")
    generator.language(site.language)
    author = {"name": site.author_name}
    if site.author_email:
        author["email"] = site.author_email
    generator.author(author)
    generator.generator("feedsmith")
    # feedgen stamps the wall clock here unless told; the newest entry makes it reproducible.
    # One call sets both Atom's <updated> and RSS's <lastBuildDate>.
    generator.updated(feed.updated or EPOCH)
    return generator


def _with_media(generator: FeedGenerator, feed: Feed) -> None:
    """Media RSS for pictures, declared only in feeds that carry one (so others keep their bytes)."""
    if any(entry.image for entry in feed.entries):
        generator.load_extension("media")


def _common(item: object, entry: Entry, base_url: str) -> None:
    item.guid(entry.id, permalink=False)  # type: ignore[attr-defined]
    item.title(entry.title)  # type: ignore[attr-defined]
    item.published(entry.published)  # type: ignore[attr-defined]
    item.updated(entry.updated)  # type: ignore[attr-defined]
    item.category(term=entry.category)  # type: ignore[attr-defined]
    if link := entry.url(base_url):
        item.link(href=link, rel="alternate")  # type: ignore[attr-defined]
    if entry.image:
        item.media.content(url=entry.image, medium="image")  # type: ignore[attr-defined]


_ATOM = "{http://www.w3.org/2005/Atom}"
_XML = "http://www.w3.org/XML/1998/namespace"
