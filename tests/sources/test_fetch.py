"""Sources on the web, against a real HTTP server on 127.0.0.1: ILO-style HTML pages (with and
without selectors, paged), RSS and Atom feeds, conditional GET, retries, limits and failures."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from email.utils import formatdate
from pathlib import Path

import feedparser
import pytest
from lxml import etree

from feedsmith.config import FetchConfig
from feedsmith.sources.fetch import _retry_after, client, fetch
from feedsmith.sources.polite import Gate, Stopped, in_turns_by_host
from feedsmith.urls import origin
from tests.fixtures.http import Site
from tests.fixtures.project import DATA, Result, tree

ATOM, XML = "http://www.w3.org/2005/Atom", "http://www.w3.org/XML/1998/namespace"

WEB = DATA / "web"
MINIMAL = """
[site]
title = "Web sources"
link = "https://news.example.org/"
base_url = "https://feeds.example.org/"
id_authority = "example.org,2024"
timezone = "Europe/Zurich"

[fetch]
timeout = 1
retries = 2
backoff = 0.01
max_bytes = 200000
max_redirects = 3
"""


def _config(project: Path, *sources: str) -> Path:
    config = project / "config.toml"
    config.write_text(MINIMAL + "".join(sources))
    return config


def _source(name: str, url: str, **extra: object) -> str:
    lines = [f'\n[[sources]]\nname = "{name}"\nurl = "{url}"\n']
    for key, value in extra.items():
        if isinstance(value, dict):
            lines.append(f"[sources.{key}]\n" + "".join(f'{k} = "{v}"\n' for k, v in value.items()))
        else:
            lines.append(f"{key} = {value!r}\n".replace("'", '"'))
    return "".join(lines)


def _entries(project: Path) -> list[feedparser.FeedParserDict]:
    entries: list[feedparser.FeedParserDict] = feedparser.parse(project / "feeds" / "all.atom").entries
    return entries


def _ilo_site(web: Site) -> None:
    web.route("/news", (WEB / "ilo-page1.html").read_bytes(), etag='"v1"')
    web.route("/news?page=1", (WEB / "ilo-page2.html").read_bytes())


def test_an_ilo_style_page_needs_no_configuration_and_its_next_page_is_followed(
        project: Path, cli: Callable[..., Result], web: Site) -> None:
    _ilo_site(web)
    _config(project, _source("ilo", f"{web.base}/news", max_pages=2))
    result = cli("build")
    assert result.exit_code == 0, result.output
    seen = [(e.title[:40], e.tags[0].term, e.published[:10], e.get("link")) for e in _entries(project)]
    assert seen == [
        ("ILO COOP participates in a #CoffeePeople", "News", "2023-12-01",
         f"{web.base}/resource/news/ilo-coop-coffeepeople-webinar"),
        ("Interview with Ekaterina Dimitrova, Proj", "Spotlight Interviews with Co-operators",
         "2023-11-20", f"{web.base}/resource/article/interview-ekaterina-dimitrova"),
        ("UNTFSSE receives award for supporting Me", "News", "2023-11-20",
         f"{web.base}/resource/news/untfsse-award"),
    ]
    assert all(e.id.startswith("tag:example.org,2024:link/") for e in _entries(project))
    assert web.requests[0]["user-agent"] == "feedsmith (+https://feeds.example.org/)"


def test_max_pages_bounds_the_pages_fetched(project: Path, cli: Callable[..., Result],
                                            web: Site) -> None:
    _ilo_site(web)
    _config(project, _source("ilo", f"{web.base}/news"))
    assert cli("build").exit_code == 0
    assert len(_entries(project)) == 2 and "/news?page=1" not in web.hits


def test_a_304_costs_no_parsing(project: Path, cli: Callable[..., Result], web: Site) -> None:
    _ilo_site(web)
    _config(project, _source("ilo", f"{web.base}/news", max_pages=2))
    assert cli("build").exit_code == 0
    again = cli("build")
    assert again.stdout.startswith("Sources: 0 listing(s) read, 1 unchanged, 0 failed")
    assert web.requests[-1]["if-none-match"] == '"v1"'
    assert web.hits["/news?page=1"] == 1  # the unchanged listing's next page is not fetched


def test_selectors_read_other_markup_with_french_dates(project: Path, cli: Callable[..., Result],
                                                       web: Site) -> None:
    web.route("/fr/actualites", (WEB / "plain-markup.html").read_bytes())
    selectors = {"item": ".row", "title": "a.headline", "date": ".when", "category": ".tag",
                 "summary": ".lede"}
    _config(project, _source("fr", f"{web.base}/fr/actualites", language="fr",
                             category="Actualités", selectors=selectors))
    result = cli("build")
    assert result.exit_code == 0, result.output
    assert "item 3: no date" in result.stderr
    seen = [(e.title, e.tags[0].term, e.published[:10], e.link, e.get("summary", ""))
            for e in _entries(project)]
    atom = etree.parse(str(project / "feeds" / "all.atom")).getroot()
    assert atom.get(f"{{{XML}}}lang") == "en"  # the site's language
    assert {e.get(f"{{{XML}}}lang") for e in atom.iter(f"{{{ATOM}}}entry")} == {"fr"}
    assert seen == [
        ("Les coopératives du café & la sécurité au travail", "Actualités", "2023-12-01",
         f"{web.base}/fr/articles/cafe-coop.html", "Un webinaire sur la santé et la sécurité."),
        ("Sensibilisation au modèle coopératif au Laos", "Actualités", "2023-11-28",
         "https://other.example.org/laos", "Sensibilisation au modèle coopératif au Laos"),
    ]


def test_rss_and_atom_feeds_are_merged(project: Path, cli: Callable[..., Result],
                                       web: Site) -> None:
    web.route("/partner.rss", (WEB / "sample.rss").read_bytes(), content_type="application/rss+xml")
    web.route("/research.atom", (WEB / "sample.atom").read_bytes(),
              content_type="application/atom+xml")
    _config(project, _source("partner", f"{web.base}/partner.rss"),
            _source("research", f"{web.base}/research.atom", category="Research"))
    result = cli("build")
    assert result.exit_code == 0
    assert "entry 2: has no date; left out" in result.stderr
    seen = {e.title: e for e in _entries(project)}
    partner = seen["Partner cooperative opens a training centre"]
    assert partner.tags[0].term == "Partners"
    assert partner.published.startswith("2023-11-15T12:00")  # 23:30 UTC is the 15th in Zurich
    assert partner.summary == "The centre trains 200 members a year."  # as text, no script
    study = seen["New study on platform cooperatives"]
    assert (study.tags[0].term, study.link) == ("Research", f"{web.base}/studies/platform-coops")


BOMB = (b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa">'
        + b"".join(f'<!ENTITY {c} "{(("&" + p + ";") * 10)}">'.encode()
                   for p, c in zip("abcdefgh", "bcdefghi", strict=True))
        + b'<!ENTITY x SYSTEM "file:///etc/passwd">]><rss version="2.0"><channel><item>'
        b"<title>&i;&x;</title><pubDate>Tue, 14 Nov 2023 10:00:00 +0000</pubDate></item>"
        b"</channel></rss>")
# The declaration after 160 KB of comment: a check of the first 64 KiB would miss it.
LATE = (b'<?xml version="1.0"?><!-- ' + b"padding " * 20_000 + b"-->"
        b'<!DOCTYPE rss [<!ENTITY a "EXPANDED-ENTITY">]><rss version="2.0"><channel>'
        b"<title>x</title><item><title>&a;</title>"
        b"<pubDate>Tue, 14 Nov 2023 10:00:00 +0000</pubDate></item></channel></rss>")


@pytest.mark.parametrize(("body", "leak"), [(BOMB, "root:"), (LATE, "EXPANDED-ENTITY")],
                         ids=["bomb", "declared-late"])
def test_hostile_xml_is_refused_without_harm(project: Path, cli: Callable[..., Result],
                                             web: Site, body: bytes, leak: str) -> None:
    web.route("/bomb.rss", body, content_type="application/rss+xml")
    _ilo_site(web)
    _config(project, _source("bomb", f"{web.base}/bomb.rss"), _source("ilo", f"{web.base}/news"))
    result = cli("build")
    assert result.exit_code == 1
    assert "bomb.rss: not a usable RSS/Atom feed" in result.stderr
    assert leak not in (project / "feeds" / "all.atom").read_text()
    assert len(_entries(project)) == 2


@pytest.mark.parametrize(("route", "message", "hits"), [
    ({"status": 404}, "HTTP 404 Not Found (not retried)", 1),
    ({"status": 400}, "HTTP 400 Bad Request (not retried)", 1),
    ({"fail_times": 9}, "server error 503 (tried 3 times)", 3),
    ({"fail_times": 9, "fail_status": 500}, "server error 500 (tried 3 times)", 3),
    ({"delay": 1.5}, "no answer within 1 s", 3),
    ({"body": b"x" * 200_001}, "larger than 200,000 bytes", 1),
    ({"status": 302, "location": "/loop"}, "more than 3 redirects", 4),
])
def test_fetch_failures_are_reported_and_the_rest_goes_on(
        project: Path, cli: Callable[..., Result], web: Site, route: dict[str, object],
        message: str, hits: int) -> None:
    _ilo_site(web)
    web.route("/loop", **route)  # type: ignore[arg-type]
    _config(project, _source("bad", f"{web.base}/loop"), _source("ilo", f"{web.base}/news"))
    result = cli("build")
    assert result.exit_code == 1
    assert f"error: source 'bad': {web.base}/loop: {message}" in result.stderr
    assert web.hits["/loop"] == hits
    assert len(_entries(project)) == 2  # the other source is published


def test_a_page_of_exactly_max_bytes_is_read(project: Path, cli: Callable[..., Result],
                                             web: Site) -> None:
    page = (WEB / "ilo-page1.html").read_bytes()
    web.route("/news", page + b"<!--" + b"x" * (200_000 - len(page) - 7) + b"-->")
    assert len(web.routes["/news"]["body"]) == 200_000  # [fetch] max_bytes in this config
    _config(project, _source("ilo", f"{web.base}/news"))
    assert cli("build").exit_code == 0 and len(_entries(project)) == 2


def test_a_page_without_a_content_type_is_read_for_what_it_is(
        project: Path, cli: Callable[..., Result], web: Site) -> None:
    web.route("/news", (WEB / "ilo-page1.html").read_bytes(), content_type=None)
    _config(project, _source("ilo", f"{web.base}/news"))
    result = cli("build")
    assert result.exit_code == 0, result.output
    assert len(_entries(project)) == 2


def test_a_server_error_that_passes_is_retried(project: Path, cli: Callable[..., Result],
                                               web: Site) -> None:
    _ilo_site(web)
    web.routes["/news"]["fail"] = 2
    _config(project, _source("ilo", f"{web.base}/news"))
    assert cli("build").exit_code == 0
    assert web.hits["/news"] == 3 and len(_entries(project)) == 2


def test_a_source_failing_for_several_builds_is_flagged_and_its_entries_stay(
        project: Path, cli: Callable[..., Result], web: Site) -> None:
    _ilo_site(web)
    _config(project, _source("ilo", f"{web.base}/news"),
            _source("other", f"{web.base}/other.rss"))
    web.route("/other.rss", (WEB / "sample.rss").read_bytes(), content_type="application/rss+xml")
    assert cli("build").exit_code == 0
    del web.routes["/news"]
    for _ in range(3):
        assert cli("build").exit_code == 1
    status = cli("status").stdout
    assert "source 'ilo' looks broken: failed 3 builds in a row" in status
    assert "what it published stays in the feeds" in status
    assert len(_entries(project)) == 3
    web.route("/news", (WEB / "ilo-page1.html").read_bytes())
    assert cli("build").exit_code == 0
    assert "looks broken" not in cli("status").stdout


def test_an_entry_stored_from_a_text_listing_keeps_its_id_when_the_page_gives_a_link(
        project: Path, cli: Callable[..., Result], web: Site) -> None:
    assert cli("build").exit_code == 0  # the shipped text listings, no links
    before = {e.title: e.id for e in _entries(project)}
    _ilo_site(web)
    config = project / "config.toml"
    config.write_text(config.read_text().replace(
        'paths = ["listings/*.txt"]', f'url = "{web.base}/news"\nmax_pages = 2'))
    result = cli("build")
    assert result.exit_code == 0, result.output
    assert "Entries: 0 new" in result.stdout
    after = {e.title: e for e in _entries(project)}
    for title, entry in after.items():
        if title in before:
            assert entry.id == before[title]
    with sqlite3.connect(project / "feedsmith.db") as db:
        assert db.execute("SELECT COUNT(*) FROM aliases").fetchone()[0] == 3


def test_only_http_urls_are_accepted(project: Path, cli: Callable[..., Result]) -> None:
    _config(project, _source("local", "file:///etc/passwd"))
    result = cli("build")
    assert result.exit_code == 1 and "url: expected an absolute http(s) URL" in result.stderr


def test_a_configured_category_re_categorises_a_feed(project: Path, cli: Callable[..., Result],
                                                     web: Site) -> None:
    web.route("/partner.rss", (WEB / "sample.rss").read_bytes(), content_type="application/rss+xml")
    _config(project, _source("partner", f"{web.base}/partner.rss", category="Partner news"))
    assert cli("build").exit_code == 0
    assert [e.tags[0].term for e in _entries(project)] == ["Partner news"]


def test_last_modified_makes_the_next_fetch_conditional(
        project: Path, cli: Callable[..., Result], web: Site) -> None:
    stamp = "Fri, 01 Dec 2023 10:00:00 GMT"
    web.route("/news", (WEB / "ilo-page1.html").read_bytes(), last_modified=stamp)
    _config(project, _source("ilo", f"{web.base}/news"))
    assert cli("build").exit_code == 0
    assert cli("build").stdout.startswith("Sources: 0 listing(s) read, 1 unchanged")
    assert web.requests[-1]["if-modified-since"] == stamp


def test_a_redirect_is_followed_and_links_resolve_against_the_final_page(
        project: Path, cli: Callable[..., Result], web: Site) -> None:
    _ilo_site(web)
    web.route("/old-news", status=301, location="/news")
    _config(project, _source("ilo", f"{web.base}/old-news"))
    assert cli("build").exit_code == 0
    assert _entries(project)[0].link == f"{web.base}/resource/news/ilo-coop-coffeepeople-webinar"
    assert web.hits["/old-news"] == 1 and web.hits["/news"] == 1


def test_a_page_that_failed_to_parse_is_not_skipped_as_not_modified_later(
        project: Path, cli: Callable[..., Result], web: Site) -> None:
    web.route("/broken", b"<html><body><p>Maintenance</p></body></html>", etag='"broken"')
    web.route("/partner.rss", (WEB / "sample.rss").read_bytes(), content_type="application/rss+xml")
    _config(project, _source("ilo", f"{web.base}/broken"),
            _source("partner", f"{web.base}/partner.rss"))  # so that the build merges
    assert cli("build").exit_code == 1
    again = cli("build")
    assert again.exit_code == 1 and "broken: no listing item found" in again.stderr
    broken = [r for r in web.requests if r.get("if-none-match") == '"broken"']
    assert broken == []  # fetched whole again, never skipped as "not modified"


def test_a_server_error_is_tried_again_after_a_back_off_that_doubles(
        project: Path, cli: Callable[..., Result], web: Site,
        monkeypatch: pytest.MonkeyPatch) -> None:
    _ilo_site(web)
    web.routes["/news"].update(fail=3, fail_status=500)
    config = _config(project, _source("ilo", f"{web.base}/news"))
    config.write_text(config.read_text().replace("retries = 2\nbackoff = 0.01",
                                                 "retries = 3\nbackoff = 0.3"))
    slept: list[float] = []  # what each pause asks for: the waits, without waiting them
    monkeypatch.setattr(time, "sleep", slept.append)
    assert cli("build").exit_code == 0
    assert web.hits["/news"] == 4 and len(_entries(project)) == 2
    assert [pause for pause in slept if pause] == pytest.approx([0.3, 0.6, 1.2])  # 0: a yield


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_is_waited_for_then_the_request_tried_again(
        project: Path, cli: Callable[..., Result], web: Site, status: int) -> None:
    _ilo_site(web)
    web.routes["/news"].update(fail=1, fail_status=status, retry_after="1")
    _config(project, _source("ilo", f"{web.base}/news"))
    started = time.monotonic()
    assert cli("build").exit_code == 0
    assert time.monotonic() - started >= 1  # the server's wait, not the 0.01 s back-off
    assert web.hits["/news"] == 2 and len(_entries(project)) == 2


def test_retry_after_may_be_an_http_date(project: Path, cli: Callable[..., Result],
                                         web: Site) -> None:
    _ilo_site(web)
    web.routes["/news"].update(fail=1, fail_status=503,
                               retry_after=formatdate(time.time() + 2, usegmt=True))
    config = _config(project, _source("ilo", f"{web.base}/news"))
    config.write_text(config.read_text().replace("timeout = 1\n", "timeout = 5\n"))
    started = time.monotonic()
    assert cli("build").exit_code == 0
    assert time.monotonic() - started >= 1  # the date's wait (1-2 s), not the 0.01 s back-off
    assert web.hits["/news"] == 2


def test_a_retry_after_longer_than_the_timeout_fails_the_source_at_once(
        project: Path, cli: Callable[..., Result], web: Site) -> None:
    _ilo_site(web)
    web.routes["/news"].update(fail=1, fail_status=429, retry_after="3600")
    _config(project, _source("ilo", f"{web.base}/news"))
    result = cli("build")
    assert result.exit_code == 1
    assert "HTTP 429 asks to wait 3600 s, longer than [fetch] timeout" in result.stderr
    assert web.hits["/news"] == 1


def test_robots_txt_is_read_once_per_host_and_honoured(
        project: Path, cli: Callable[..., Result], web: Site) -> None:
    _ilo_site(web)
    web.route("/other.rss", (WEB / "sample.rss").read_bytes(), content_type="application/rss+xml")
    web.route("/robots.txt", b"User-agent: *\nDisallow: /private\n\n"
                             b"User-agent: feedsmith\nDisallow: /other.rss\n",
              content_type="text/plain")
    _config(project, _source("ilo", f"{web.base}/news"),
            _source("other", f"{web.base}/other.rss"))
    result = cli("build")
    assert result.exit_code == 1
    assert (f"error: source 'other': {web.base}/other.rss: {web.base}/robots.txt disallows it "
            "for 'feedsmith (+") in result.stderr
    assert web.hits.get("/other.rss", 0) == 0 and web.hits["/robots.txt"] == 1
    assert len(_entries(project)) == 2  # the allowed source is published
    config = project / "config.toml"
    config.write_text(config.read_text().replace("[fetch]\n", "[fetch]\nrobots = false\n"))
    assert cli("build").exit_code == 0 and web.hits["/other.rss"] == 1


@pytest.mark.parametrize(("robots", "fetched"), [(400, True), (404, True), (500, False),
                                                 (503, False)])
def test_a_robots_txt_that_cannot_be_had_allows_or_forbids_as_rfc_9309_says(
        project: Path, cli: Callable[..., Result], web: Site, robots: int,
        fetched: bool) -> None:
    _ilo_site(web)  # the error page's text, were it read as rules, would disallow everything
    web.route("/robots.txt", b"User-agent: *\nDisallow: /\n", status=robots)
    _config(project, _source("ilo", f"{web.base}/news"))
    assert (cli("build").exit_code == 0) is fetched
    assert (web.hits.get("/news", 0) > 0) is fetched


def test_a_robots_txt_that_moved_is_followed_there(project: Path, cli: Callable[..., Result],
                                                   web: Site) -> None:
    """RFC 9309 2.3.1.2: a crawler follows at least five redirects to the robots.txt."""
    _ilo_site(web)
    web.route("/robots.txt", status=301, location="/meta/robots.txt")
    web.route("/meta/robots.txt", b"User-agent: *\nDisallow: /news\n", content_type="text/plain")
    _config(project, _source("ilo", f"{web.base}/news"))
    result = cli("build")
    assert result.exit_code == 1 and f"{web.base}/robots.txt disallows it" in result.stderr
    assert web.hits["/meta/robots.txt"] == 1 and web.hits.get("/news", 0) == 0


def test_a_robots_txt_in_another_encoding_is_still_obeyed(
        project: Path, cli: Callable[..., Result], web: Site) -> None:
    """Not valid UTF-8 (a Latin-1 comment): read as far as it goes, its rules still hold."""
    _ilo_site(web)
    web.route("/robots.txt", "# Règles du site\nUser-agent: *\nDisallow: /news\n".encode("latin-1"),
              content_type="text/plain")
    _config(project, _source("ilo", f"{web.base}/news"))
    result = cli("build")
    assert result.exit_code == 1 and f"{web.base}/robots.txt disallows it" in result.stderr
    assert "Traceback" not in result.output and web.hits.get("/news", 0) == 0


def test_a_robots_txt_that_never_answers_forbids_within_the_timeout(
        project: Path, cli: Callable[..., Result], web: Site) -> None:
    _ilo_site(web)
    web.route("/robots.txt", b"User-agent: *\nAllow: /\n", delay=20)
    _config(project, _source("ilo", f"{web.base}/news"))
    started = time.monotonic()
    result = cli("build")
    assert time.monotonic() - started < 4.5  # [fetch] timeout = 1: not httpx's 5 s, nor the 20 s
    assert result.exit_code == 1 and "robots.txt could not be had" in result.stderr
    assert web.hits.get("/news", 0) == 0


def test_a_next_page_robots_txt_disallows_is_a_warning(
        project: Path, cli: Callable[..., Result], web: Site) -> None:
    _ilo_site(web)
    web.route("/robots.txt", b"User-agent: *\nDisallow: /news?page=1\n", content_type="text/plain")
    _config(project, _source("ilo", f"{web.base}/news", max_pages=3))
    result = cli("build")
    assert result.exit_code == 0
    assert "robots.txt disallows it" in result.stderr and "the pages before it are used" in \
        result.stderr
    assert len(_entries(project)) == 2


def test_robots_txt_is_asked_about_a_redirect_s_target_too(
        project: Path, cli: Callable[..., Result], web: Site) -> None:
    _ilo_site(web)
    web.route("/old-news", status=301, location="/news")
    web.route("/robots.txt", b"User-agent: *\nDisallow: /news\n", content_type="text/plain")
    _config(project, _source("ilo", f"{web.base}/old-news"))
    result = cli("build")
    assert result.exit_code == 1
    assert f"source 'ilo': {web.base}/news: {web.base}/robots.txt disallows" in result.stderr
    assert web.hits.get("/news", 0) == 0


def _slow_sources(sites: list[Site], count: int, delay: float) -> list[str]:
    """`count` text listings on each site, each answering after `delay` seconds."""
    sources = []
    for letter, site in zip("ab", sites, strict=False):
        for number in range(count):
            path = f"/{letter}{number}.txt"
            site.route(path, (f"  1. News\n\n    Story {letter}{number}\n\n    "
                              f"{number + 1:02d} May 2024\n").encode(),
                       content_type="text/plain; charset=utf-8", delay=delay)
            sources.append(_source(f"{letter}{number}", site.base + path))
    return sources


@pytest.mark.parametrize(("limits", "hosts", "most_per_host"), [
    ("concurrency = 3\nper_host = 16", 1, 3), ("concurrency = 8\nper_host = 2", 2, 2)])
def test_sources_are_fetched_at_once_within_the_limits(
        project: Path, cli: Callable[..., Result], web: Site, other_web: Site, limits: str,
        hosts: int, most_per_host: int) -> None:
    sites = [web, other_web][:hosts]
    config = _config(project, *_slow_sources(sites, 6, 0.3))
    config.write_text(config.read_text().replace("[fetch]\n", f"[fetch]\n{limits}\n"))
    assert cli("build").exit_code == 0
    assert [site.most_open for site in sites] == [most_per_host] * hosts  # never more, used
    assert _entries(project)[0].title == "Story a5"


def test_fetching_at_once_gives_the_same_feeds_as_one_at_a_time(
        tmp_path: Path, cli_in: Callable[..., Result], web: Site, other_web: Site) -> None:
    sources = _slow_sources([web, other_web], 4, 0.05)
    trees = []
    for limits in ("concurrency = 1", "concurrency = 8\nper_host = 4"):
        folder = tmp_path / limits.split()[-1]
        folder.mkdir()
        (folder / "config.toml").write_text(
            (MINIMAL + "".join(sources)).replace("[fetch]\n", f"[fetch]\n{limits}\n"))
        assert cli_in(folder, "build").exit_code == 0
        trees.append({name: content for name, (content, _) in tree(folder / "feeds").items()})
    assert trees[0] == trees[1] and len(trees[0]) > 10



def test_ctrl_c_stops_a_build_without_waiting_for_its_fetches(project: Path, web: Site) -> None:
    """Six sources on a host that never answers, two requests open to it at a time: Ctrl-C cuts
    the two under way and the others give up their turn, rather than each running to its
    30 s timeout in turn (a minute and a half)."""
    for number in range(6):
        web.route(f"/news{number}", delay=120)
    config = _config(project, *(_source(f"s{n}", f"{web.base}/news{n}") for n in range(6)))
    config.write_text(config.read_text().replace("timeout = 1", "timeout = 30"))
    ctrl_c_when(config, lambda: sum(path.startswith("/news") for path in list(web.hits)) == 2)
    assert sorted(web.hits) == ["/news0", "/news1", "/robots.txt"]  # none begun after


def test_a_stopped_gate_cuts_the_request_under_way_and_starts_no_more(web: Site) -> None:
    """What a stopped build relies on (see the test above, whose build runs out of reach of
    mutation testing): one slot, one request hanging in it and one waiting for it."""
    web.route("/hangs", delay=120)
    web.route("/next", b"never fetched")
    config = FetchConfig(timeout=30, retries=1, backoff=0.01)
    gate, allowed = Gate(1, 1), {origin(web.base)}
    with client(config) as session, ThreadPoolExecutor(2) as threads:
        under_way = threads.submit(fetch, session, f"{web.base}/hangs", config, "s", allowed,
                                   gate=gate)
        _wait_for(lambda: "/hangs" in list(web.hits))
        waiting = threads.submit(fetch, session, f"{web.base}/next", config, "s", allowed,
                                 gate=gate)
        time.sleep(0.2)
        began = time.monotonic()
        gate.stop()
        for fetching in (under_way, waiting):
            with pytest.raises(Stopped):
                fetching.result(timeout=10)
    assert time.monotonic() - began < 5 and "/next" not in web.hits


def test_a_stopped_gate_wakes_those_waiting_behind_a_request_it_cannot_cut() -> None:
    """A page in a browser holds its slot with nothing to cut: those waiting behind it give up
    at once rather than when it ends."""
    gate, ends = Gate(1, 1), threading.Event()

    def in_browser() -> None:
        with gate.slot("http://a.example/page"):
            ends.wait(10)

    with ThreadPoolExecutor(2) as threads:
        try:
            held = threads.submit(in_browser)
            time.sleep(0.1)
            waiting = threads.submit(lambda: gate.slot("http://a.example/next").__enter__())
            time.sleep(0.1)
            gate.stop()
            with pytest.raises(Stopped):
                waiting.result(timeout=5)
            assert not held.done()
        finally:
            ends.set()
    with pytest.raises(Stopped), gate.slot("http://b.example/"):  # and nobody starts since
        pass


def ctrl_c_when(config: Path, ready: Callable[[], bool]) -> None:
    """Build with `config`, press Ctrl-C once `ready()`; asserts that the build stops within
    ten seconds, as a Ctrl-C does, with no traceback."""
    # A process that ignores SIGINT passes that on to its children (mutmut's workers do): the
    # build is started with Ctrl-C as a terminal gives it.
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        build = subprocess.Popen([sys.executable, "-m", "feedsmith", "--config", str(config),
                                  "build"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    finally:
        signal.signal(signal.SIGINT, before)
    try:
        _wait_for(ready)
        build.send_signal(signal.SIGINT)
        began = time.monotonic()
        errors = build.communicate(timeout=20)[1]
    finally:
        build.kill()
        build.communicate()
    assert time.monotonic() - began < 10
    assert build.returncode == 130 and errors.startswith("Aborted."), errors


def _wait_for(condition: Callable[[], bool], seconds: float = 30) -> None:
    until = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < until, "waited in vain"
        time.sleep(0.05)


def test_fetches_start_in_turns_by_host() -> None:
    """So that while one host's slots are taken, the other hosts' requests are under way."""
    urls = ["http://a.example/1", "http://a.example/2", "http://A.example/3",
            "http://b.example/1", "http://a.example:8080/1", "http://b.example/2"]
    assert in_turns_by_host(urls, str) == [
        "http://a.example/1", "http://b.example/1", "http://a.example:8080/1",
        "http://a.example/2", "http://b.example/2", "http://A.example/3"]


@pytest.mark.parametrize(("value", "seconds"), [
    ("120", 120.0), ("Wed, 21 Oct 2015 07:28:30 GMT", 30.0),
    ("Wed, 21 Oct 2015 07:27:00 GMT", 0.0),  # a date gone by: no wait
    ("soon", None), ("", None),
])
def test_retry_after_is_read_as_seconds_or_an_http_date(value: str,
                                                        seconds: float | None) -> None:
    now = datetime(2015, 10, 21, 7, 28, tzinfo=UTC).timestamp()
    assert _retry_after(value, now) == seconds
