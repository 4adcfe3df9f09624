"""Hostile text from a listing reaches every page, feed and email as text, never as markup.

A listing's titles, summaries, categories and picture alt texts are whatever its author (or an
attacker who can edit it) wrote. One build and one issue of such a listing, then every file
parsed as a browser or a mail client would: no element or attribute it brought in, and its text
shown exactly as written.
"""

from __future__ import annotations

import email
import json
from collections.abc import Callable
from email import policy
from pathlib import Path

import pytest
from lxml import etree, html

from tests.fixtures.project import Result

ATTACKS = {
    "title": 'Coops <script>alert("title")</script> & "quotes"',
    "summary": "Read <img src=x onerror=alert('summary')> this</p><p>now",
    "category": 'News"><svg onload=alert(1)>',
    "alt": '"><iframe src="javascript:alert(2)"></iframe>',
}
FEED = f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Hostile</title><link>https://news.example.org/</link>
<description>x</description>
<item><title>{ATTACKS["title"].replace("&", "&amp;").replace("<", "&lt;")}</title>
<link>https://news.example.org/hostile</link>
<category>{ATTACKS["category"].replace("<", "&lt;")}</category>
<description>{('<img src="https://news.example.org/a.png" alt="'
               + ATTACKS["alt"].replace('"', "&quot;").replace("<", "&lt;") + '"><p>Teaser</p>')
              .replace("&", "&amp;").replace("<", "&lt;")}</description>
<pubDate>Wed, 15 Nov 2023 10:00:00 +0000</pubDate></item>
</channel></rss>
"""
# The same, as a text listing writes them: every field as literal text.
LISTING = f"""News, stories and statements on cooperatives

  1. {ATTACKS["category"]}

    {ATTACKS["title"]}

    14 November 2023

    {ATTACKS["summary"]}
"""
MARKUP = {"script", "img", "svg", "iframe"}


@pytest.fixture
def hostile(project: Path, cli: Callable[..., Result]) -> Path:
    """The example plus a hostile item in a text listing and one in a feed, built, with
    November's issue written."""
    (project / "listings" / "hostile.rss").write_text(FEED)
    (project / "listings" / "zz-hostile.txt").write_text(LISTING)
    config = project / "config.toml"
    config.write_text(config.read_text().replace(
        'paths = ["listings/*.txt"]', 'paths = ["listings/*.txt"]\n\n[[sources]]\n'
        'name = "hostile"\npaths = ["listings/hostile.rss"]\nformat = "feed"'))
    result = cli("build")
    assert result.exit_code == 0, result.output
    issue = cli("digest", "--month", "2023-11", "--now", "2023-12-02T09:00")
    assert issue.exit_code == 0, issue.output
    return project / "feeds"


def _check_page(document: html.HtmlElement, where: str) -> str:
    """No element or event handler the attacks brought in; the page's text, for the caller."""
    brought = [element.tag for element in document.iter()
               if isinstance(element.tag, str) and element.tag in MARKUP
               and "news.example.org/a.png" not in (element.get("src") or "")
               and "feeds.example.org" not in (element.get("src") or "")]
    assert not brought, (where, brought)
    handlers = [(element.tag, name) for element in document.iter() if isinstance(element.tag, str)
                for name in element.attrib if name.lower().startswith("on")]
    assert not handlers, (where, handlers)
    return str(document.text_content())


def test_every_page_shows_hostile_text_as_text(hostile: Path) -> None:
    pages = sorted(hostile.rglob("*.html"))
    assert {p.relative_to(hostile).as_posix() for p in pages} >= {
        "index.html", "archive/2023-11.html", "digest/2023-11.html", "digest/index.html"}
    shown = {page.relative_to(hostile).as_posix(): _check_page(html.parse(str(page)).getroot(),
                                                               str(page))
             for page in pages}
    for page in ("index.html", "archive/2023-11.html", "digest/2023-11.html"):
        assert ATTACKS["title"] in shown[page], page
    assert ATTACKS["summary"] in shown["archive/2023-11.html"]
    assert any(ATTACKS["category"] in text for text in shown.values())
    archive = html.parse(str(hostile / "archive" / "2023-11.html")).getroot()
    alts = [image.get("alt") for image in archive.iter("img")]
    assert ATTACKS["alt"] in alts  # an attribute value, whole, not markup


def test_the_email_shows_hostile_text_as_text(hostile: Path) -> None:
    message = email.message_from_bytes((hostile / "digest" / "2023-11.eml").read_bytes(),
                                       policy=policy.default)
    part = message.get_body(("html",))
    assert part is not None
    document = html.fromstring(part.get_content())
    assert ATTACKS["title"] in _check_page(document, "email")
    text = message.get_body(("plain",))
    assert text is not None and ATTACKS["title"] in text.get_content()


@pytest.mark.parametrize("name", ["all.rss", "all.atom"])
def test_feeds_carry_hostile_text_as_text(hostile: Path, name: str) -> None:
    """A feed opened in a browser is shown as its XML with feed.css: an element the attack
    brought in (XHTML script, say) would run there."""
    root = etree.parse(str(hostile / name)).getroot()
    tags = {etree.QName(element).localname for element in root.iter()
            if isinstance(element.tag, str)}
    assert not tags & MARKUP
    titles = [element.text for element in root.iter()
              if isinstance(element.tag, str) and etree.QName(element).localname == "title"]
    assert ATTACKS["title"] in titles


def test_json_feed_carries_hostile_text_as_data(hostile: Path) -> None:
    items = json.loads((hostile / "all.json").read_text())["items"]
    assert ATTACKS["title"] in [item["title"] for item in items]


def test_rss_readers_see_a_plain_text_summary_as_text(hostile: Path) -> None:
    """An RSS description is HTML to every reader: a text listing's summary must arrive
    escaped, to show as the characters it is, never as a live <img>."""
    import feedparser

    entries = feedparser.parse(hostile / "all.rss").entries
    [entry] = [e for e in entries if e.title == ATTACKS["title"] and "hostile" not in e.link]
    assert entry.summary_detail.type == "text/html"
    shown = html.fragment_fromstring(entry.summary, create_parent="div")
    assert not [element.tag for element in shown.iter() if element.tag in MARKUP]
    assert shown.text_content() == ATTACKS["summary"]
