"""How people find the feeds: `index.html` (with autodiscovery links) and `feeds.opml`."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime

from babel.dates import format_date

from feedsmith.config import SiteConfig
from feedsmith.dates import babel_locale
from feedsmith.feeds import Feed
from feedsmith.templating import environment


def render_index(feeds: list[Feed], site: SiteConfig, max_entries: int) -> bytes:
    """A small page listing every feed with its item count and newest date."""

    def long_date(moment: datetime | None) -> str:
        locale = babel_locale(site.language)
        return format_date(moment, format="long", locale=locale) if moment else "–"

    template = environment().get_template("index.html.j2")
    page = template.render(site=site, feeds=feeds, max_entries=max_entries, long_date=long_date)
    return page.encode("utf-8")


def render_opml(feeds: list[Feed], site: SiteConfig) -> bytes:
    """OPML 2.0 listing each feed once (Atom), for one-click subscription to all of them.

    One format per feed: a reader importing both RSS and Atom would show every item twice.
    """
    opml = ET.Element("opml", version="2.0")
    head = ET.SubElement(opml, "head")
    ET.SubElement(head, "title").text = f"{site.title} feeds"
    body = ET.SubElement(opml, "body")
    for feed in feeds:
        title = feed.title(site.title)
        ET.SubElement(body, "outline", type="rss", text=title, title=title,
                      xmlUrl=site.base_url + feed.atom_name, htmlUrl=site.link)
    ET.indent(opml)
    return bytes(ET.tostring(opml, encoding="UTF-8", xml_declaration=True)) + b"\n"
