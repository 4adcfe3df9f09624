"""Feeds -> RSS 2.0 and Atom 1.0 documents, one pair per category and one for everything.

Everything a feed says is derived from its entries, never from the clock: the feed's `updated` and
`lastBuildDate` are its newest entry's `updated`, so unchanged input gives unchanged bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from feedgen.feed import FeedGenerator
from lxml import etree

from feedsmith.config import SiteConfig
from feedsmith.entry import EPOCH, Entry


@dataclass(frozen=True, slots=True)
class Feed:
    """One published feed: `<slug>.rss` and `<slug>.atom` carry `entries`, newest first."""

    slug: str
    category: str | None  # None for the feed of everything; else its newest entry's spelling
    entries: tuple[Entry, ...]  # at most max_entries
    total: int  # entries in this category before the cap

    @property
    def rss_name(self) -> str:
        return f"{self.slug}.rss"

    @property
    def atom_name(self) -> str:
        return f"{self.slug}.atom"

    @property
    def updated(self) -> datetime | None:
        return max((e.updated for e in self.entries), default=None)

    def title(self, site_title: str) -> str:
        return f"{site_title}: {self.category}" if self.category else site_title


def render_atom(feed: Feed, site: SiteConfig) -> bytes:
    generator = _generator(feed, site, feed.atom_name, "application/atom+xml")
    for entry in feed.entries:
        item = generator.add_entry(order="append")
        _common(item, entry)
        # Atom wants content or an alternate link; listings rarely give links.
        item.content(entry.summary or entry.title, type="text")
    document = bytes(generator.atom_str(pretty=True))
    foreign = {e.id: e.language for e in feed.entries if e.language and e.language != site.language}
    return _with_entry_languages(document, foreign) if foreign else document


def _with_entry_languages(document: bytes, languages: dict[str, str]) -> bytes:
    """Mark entries from a listing in another language with `xml:lang` (feedgen cannot)."""
    root = etree.fromstring(document)
    for element in root.iter(f"{_ATOM}entry"):
        language = languages.get(element.findtext(f"{_ATOM}id") or "")
        if language:
            element.set(f"{{{_XML}}}lang", language)
    return bytes(etree.tostring(root, pretty_print=True, encoding="UTF-8", xml_declaration=True))


def render_rss(feed: Feed, site: SiteConfig) -> bytes:
    generator = _generator(feed, site, feed.rss_name, "application/rss+xml")
    for entry in feed.entries:
        item = generator.add_entry(order="append")
        _common(item, entry)
        if entry.summary:
            item.description(entry.summary)
    return bytes(generator.rss_str(pretty=True))


def _generator(feed: Feed, site: SiteConfig, file_name: str, media_type: str) -> FeedGenerator:
    generator = FeedGenerator()
    generator.id(f"tag:{site.id_authority}:feeds/{feed.slug}")
    generator.title(feed.title(site.title))
    what = f"“{feed.category}” items" if feed.category else "All items"
    generator.description(f"{what} from {site.title}")
    # Order matters: feedgen 1.0.0 makes the *last* link the RSS channel <link>.
    generator.link(href=site.base_url + file_name, rel="self", type=media_type)
    generator.link(href=site.link, rel="alternate")
    generator.language(site.language)
    author = {"name": site.author_name}
    if site.author_email:
        author["email"] = site.author_email
    generator.author(author)
    generator.generator("feedsmith")
    # feedgen stamps the wall clock here unless told; the newest entry makes it reproducible.
    updated = feed.updated or EPOCH
    generator.updated(updated)
    generator.lastBuildDate(updated)
    return generator


def _common(item: object, entry: Entry) -> None:
    item.guid(entry.id, permalink=False)  # type: ignore[attr-defined]
    item.title(entry.title)  # type: ignore[attr-defined]
    item.published(entry.published)  # type: ignore[attr-defined]
    item.updated(entry.updated)  # type: ignore[attr-defined]
    item.category(term=entry.category)  # type: ignore[attr-defined]
    if entry.link:
        item.link(href=entry.link, rel="alternate")  # type: ignore[attr-defined]


_ATOM = "{http://www.w3.org/2005/Atom}"
_XML = "http://www.w3.org/XML/1998/namespace"
