"""Sources on the web that try something: redirects elsewhere, trickling servers, charsets the
body does not declare, entities behind a long comment, links that are not links, false 304s.
A real HTTP server on 127.0.0.1 (two, for another origin) serves each case."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import feedparser
import pytest

from feedsmith.config import FetchConfig
from feedsmith.errors import Unavailable
from feedsmith.sources.fetch import _Deadline, client, fetch
from feedsmith.urls import origin
from tests.fixtures.http import Site
from tests.fixtures.project import Result
from tests.sources.test_fetch import WEB, _config, _entries, _ilo_site, _source

PAGE = """<html><head>{head}</head><body><ol>
<li><span class="cat">News</span><a class="t" href="{href}">{title}</a>
<span class="d">01 December 2023</span></li>
<li><span class="cat">News</span><a class="t" href="/ok">Second item</a>
<span class="d">30 November 2023</span></li>
</ol>{more}</body></html>"""
SELECTORS = {"item": "li", "title": "a.t", "date": ".d", "category": ".cat"}


def _page(title: str = "First item", href: str = "/first", head: str = "",
          more: str = "") -> str:
    return PAGE.format(title=title, href=href, head=head, more=more)


def test_a_redirect_to_another_origin_is_refused_and_nothing_of_it_published(
        project: Path, cli: Callable[..., Result], web: Site, other_web: Site) -> None:
    other_web.route("/internal", _page("Internal admin page").encode())
    web.route("/news", status=302, location=f"{other_web.base}/internal")
    _ilo_site(web)
    _config(project, _source("evil", f"{web.base}/news-redirect"), _source("ilo",
                                                                           f"{web.base}/news"))
    web.route("/news-redirect", status=302, location=f"{other_web.base}/internal")
    result = cli("build")
    assert result.exit_code == 1
    assert (f"source 'evil': {web.base}/news-redirect: leads to {other_web.base}/internal, "
            "outside http://127.0.0.1:") in result.stderr  # the URL configured, then the target
    assert "allow_origins" in result.stderr
    assert other_web.hits == {}
    assert "Internal admin page" not in (project / "feeds" / "all.atom").read_text()


def test_a_location_header_without_a_redirect_status_is_not_followed(
        project: Path, cli: Callable[..., Result], web: Site) -> None:
    """Location means "go there" only with a 3xx status; beside a 200 it is not an order."""
    web.route("/news", (WEB / "ilo-page1.html").read_bytes(), location="/elsewhere")
    web.route("/elsewhere", _page("Somewhere else").encode())
    _config(project, _source("ilo", f"{web.base}/news"))
    assert cli("build").exit_code == 0
    assert len(_entries(project)) == 2 and web.hits.get("/elsewhere", 0) == 0


def test_allow_origins_lets_a_source_redirect_there(
        project: Path, cli: Callable[..., Result], web: Site, other_web: Site) -> None:
    other_web.route("/moved", _page().encode())
    web.route("/news", status=301, location=f"{other_web.base}/moved")
    _config(project, _source("moved", f"{web.base}/news", allow_origins=[other_web.base],
                             selectors=SELECTORS))
    assert cli("build").exit_code == 0
    assert [e.title for e in _entries(project)] == ["First item", "Second item"]


@pytest.mark.parametrize("target", ["file:///etc/passwd", "ftp://127.0.0.1/x",
                                    "javascript:alert(1)"])
def test_a_redirect_to_a_non_http_url_is_refused_at_once(
        project: Path, cli: Callable[..., Result], web: Site, target: str) -> None:
    web.route("/news", status=302, location=target)
    _config(project, _source("evil", f"{web.base}/news"))
    result = cli("build")
    assert result.exit_code == 1
    assert "only http and https URLs are fetched" in result.stderr
    assert "cannot connect" not in result.stderr
    assert web.hits["/news"] == 1  # not retried


def test_a_next_page_on_another_origin_is_not_followed(
        project: Path, cli: Callable[..., Result], web: Site, other_web: Site) -> None:
    other_web.route("/page2", _page("Elsewhere").encode())
    more = f'<a rel="next" href="{other_web.base}/page2">Next</a>'
    web.route("/news", _page(more=more).encode())
    _config(project, _source("paged", f"{web.base}/news", max_pages=3, selectors=SELECTORS))
    result = cli("build")
    assert result.exit_code == 0
    assert "a next page outside" in result.stderr and "is not followed" in result.stderr
    assert other_web.hits == {} and len(_entries(project)) == 2


def test_a_trickling_server_cannot_hold_the_build(project: Path, cli: Callable[..., Result],
                                                  web: Site) -> None:
    web.route("/slow", _page().encode(), trickle=0.05)  # a byte every 50 ms: ~20 s in all
    _ilo_site(web)
    _config(project, _source("slow", f"{web.base}/slow"), _source("ilo", f"{web.base}/news"))
    started = time.monotonic()
    result = cli("build")
    elapsed = time.monotonic() - started
    assert result.exit_code == 1
    assert "no answer within 1 s (connect to last byte) (tried 3 times)" in result.stderr
    assert elapsed < 8  # three tries of 1 s each, and back-off, not 3 × 20 s
    assert len(_entries(project)) == 2


def test_a_trickling_page_is_cut_on_a_host_that_keeps_connections_open(
        keep_alive_web: Site) -> None:
    """Each request opens its own connection: its deadline learns the socket as it connects,
    which a connection kept from the request before would never tell it."""
    web = keep_alive_web
    web.route("/first", b"a quick page")
    web.route("/slow", b"x" * 300, trickle=0.05)  # 15 s in all
    config = FetchConfig(timeout=1, retries=0)
    allowed = {origin(web.base)}
    with client(config) as session:
        assert fetch(session, f"{web.base}/first", config, "s", allowed).body == b"a quick page"
        began = time.monotonic()
        with pytest.raises(Unavailable, match="no answer within 1 s"):
            fetch(session, f"{web.base}/slow", config, "s", allowed)
    assert time.monotonic() - began < 5


def test_a_deadline_that_falls_as_the_connection_closes_is_no_error() -> None:
    """The timer can fire just as an exchange ends, its socket already closed (or reset by
    the server): cutting it then must not raise in the timer's thread."""
    closed = socket.socket()
    closed.close()
    stream = SimpleNamespace(get_extra_info=lambda name: closed)  # httpcore's network stream
    with _Deadline(0.05) as deadline:
        deadline.trace("connection.connect_tcp.complete", {"return_value": stream})
        time.sleep(0.3)
    assert deadline.expired
    with _Deadline(0.05) as early:  # and one that falls before there is a connection to cut
        time.sleep(0.3)
    assert early.expired


CAFE = "Café coopératif"
EURO = "Café à 2 € la tasse"  # "€" is 0xA4 in iso-8859-15: the cp1252 fallback reads "¤"
RUSSIAN = "Кооперативы и занятость"


@pytest.mark.parametrize(("title", "body", "content_type"), [
    (CAFE, _page(CAFE).encode("latin-1"), "text/html; charset=ISO-8859-1"),
    (CAFE, _page(CAFE, head='<meta charset="windows-1252">').encode("cp1252"), "text/html"),
    (CAFE, _page(CAFE, head='<meta http-equiv="Content-Type" '
                 'content="text/html; charset=iso-8859-15">').encode("iso-8859-15"), "text/html"),
    (CAFE, b"\xef\xbb\xbf" + _page(CAFE).encode(), "text/html; charset=iso-8859-1"),
    (CAFE, _page(CAFE).encode(), "text/html"),
    # The header outranks a <meta> that says otherwise (a CMS template's stale charset).
    (CAFE, _page(CAFE, head='<meta charset="iso-8859-1">').encode(), "text/html; charset=utf-8"),
    (CAFE, _page(CAFE, head='<meta charset="utf-8">').encode("cp1252"),
     "text/html; charset=windows-1252"),
    # Only the <meta> says it, and the fallback would read these wrong.
    (EURO, _page(EURO, head='<meta charset="iso-8859-15">').encode("iso-8859-15"), "text/html"),
    (RUSSIAN, _page(RUSSIAN, head='<meta charset="koi8-r">').encode("koi8-r"), "text/html"),
    (RUSSIAN, _page(RUSSIAN, head='<meta http-equiv="content-type" '
                    'content="text/html; charset=KOI8-R">').encode("koi8-r"), "text/html"),
])
def test_html_is_decoded_by_header_bom_and_meta_charset(
        project: Path, cli: Callable[..., Result], web: Site, title: str, body: bytes,
        content_type: str) -> None:
    web.route("/news", body, content_type=content_type)
    _config(project, _source("fr", f"{web.base}/news", selectors=SELECTORS))
    assert cli("build").exit_code == 0
    assert _entries(project)[0].title == title


def test_a_feed_is_decoded_by_its_header_charset(project: Path, cli: Callable[..., Result],
                                                 web: Site) -> None:
    feed = ('<?xml version="1.0"?><rss version="2.0"><channel><title>x</title><item>'
            "<title>Кооперативы</title><pubDate>Tue, 14 Nov 2023 10:00:00 +0000</pubDate>"
            "</item></channel></rss>")
    web.route("/feed", feed.encode("cp1251"),
              content_type="application/rss+xml; charset=windows-1251")
    _config(project, _source("feed", f"{web.base}/feed"))
    assert cli("build").exit_code == 0
    assert _entries(project)[0].title == "Кооперативы"


def test_a_feed_with_an_external_doctype_only_is_read(project: Path, cli: Callable[..., Result],
                                                       web: Site) -> None:
    feed = (b'<?xml version="1.0"?><!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS '
            b'0.91//EN" "http://my.netscape.com/publish/formats/rss-0.91.dtd">'
            b'<rss version="0.91"><channel><title>x</title><item><title>Old style</title>'
            b"<pubDate>Tue, 14 Nov 2023 10:00:00 +0000</pubDate></item></channel></rss>")
    web.route("/feed", feed, content_type="application/rss+xml")
    _config(project, _source("feed", f"{web.base}/feed"))
    assert cli("build").exit_code == 0
    assert [e.title for e in _entries(project)] == ["Old style"]


@pytest.mark.parametrize("href", ["javascript:alert(document.cookie)", "data:text/html,<b>x</b>",
                                  "vbscript:msgbox", "file:///etc/passwd"])
def test_only_http_links_are_published(project: Path, cli: Callable[..., Result], web: Site,
                                       href: str) -> None:
    web.route("/news", _page(href=href).encode())
    _config(project, _source("evil", f"{web.base}/news", selectors=SELECTORS))
    result = cli("build")
    assert result.exit_code == 0
    assert f"{web.base}/news item 1: link " in result.stderr
    assert "is not an http(s) URL; the item is published without it" in result.stderr
    entries = {e.title: e for e in _entries(project)}
    assert entries["First item"].link.startswith("https://feeds.example.org/archive/2023-12.html#")
    assert entries["Second item"].link == f"{web.base}/ok"
    for name in ("all.atom", "all.rss", "all.json", "index.html", "archive/2023-12.html"):
        assert href.split(":")[0] + ":" not in (project / "feeds" / name).read_text()


def test_a_304_to_a_request_without_validators_is_an_error(
        project: Path, cli: Callable[..., Result], web: Site) -> None:
    web.route("/news", status=304)
    _config(project, _source("liar", f"{web.base}/news"))
    result = cli("build")
    assert result.exit_code == 1
    assert "answered 304 Not Modified to a request that asked for no comparison" in result.stderr


def test_a_links_fragment_does_not_change_its_id(project: Path, cli: Callable[..., Result],
                                                 web: Site) -> None:
    web.route("/news", _page(href="/first#top").encode())
    _config(project, _source("s", f"{web.base}/news", selectors=SELECTORS))
    assert cli("build").exit_code == 0
    before = sorted(e.id for e in _entries(project))
    web.route("/news", _page(href="/first#comments").encode())
    assert cli("build").exit_code == 0
    assert sorted(e.id for e in _entries(project)) == before  # as many entries, the same ids
    assert feedparser.parse(project / "feeds" / "all.atom").entries[0].link.endswith("#comments")


def test_an_edited_link_updates_the_entry_and_keeps_its_id(
        project: Path, cli: Callable[..., Result], web: Site) -> None:
    assert cli("build").exit_code == 0  # the shipped text listings: entries under title ids
    page = (WEB / "ilo-page1.html").read_bytes()
    web.route("/news", page)
    config = project / "config.toml"
    config.write_text(config.read_text().replace('paths = ["listings/*.txt"]',
                                                 f'url = "{web.base}/news"'))
    assert cli("build").exit_code == 0
    before = _entries(project)[0]
    assert before.link == f"{web.base}/resource/news/ilo-coop-coffeepeople-webinar"
    web.route("/news", page.replace(b"ilo-coop-coffeepeople-webinar", b"coffeepeople-2023"))
    result = cli("build")
    assert "Entries: 0 new, 1 updated" in result.stdout
    after = _entries(project)[0]
    assert (after.id, after.link) == (before.id, f"{web.base}/resource/news/coffeepeople-2023")
    assert after.updated > before.updated


def test_a_feed_that_only_mentions_entities_in_its_text_is_read(
        project: Path, cli: Callable[..., Result], web: Site) -> None:
    feed = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title><item>'
            b"<title>XML tips</title><description><![CDATA[Never write <!ENTITY x> in a feed."
            b"]]></description><pubDate>Tue, 14 Nov 2023 10:00:00 +0000</pubDate></item>"
            b"</channel></rss>")
    web.route("/feed", feed, content_type="application/rss+xml")
    _config(project, _source("feed", f"{web.base}/feed"))
    assert cli("build").exit_code == 0
    assert [e.title for e in _entries(project)] == ["XML tips"]
