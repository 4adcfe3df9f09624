"""Following links (`follow = true`): each item's own page fetched once, politely, and its full
text, picture, times and author in the feeds, read back with feedparser, a JSON Feed parser
and lxml; against real article pages (JSON-LD, Open Graph, a cookie banner, navigation)
served from 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import feedparser
import jsonfeed
from lxml import html as lxml_html

from tests.fixtures.http import Site
from tests.fixtures.project import DATA, Result, contents, query
from tests.newsletter.test_issue import _png
from tests.sources.test_fetch import ctrl_c_when

BOTH_ENGINES = True  # what pages gave is read joined to the entries, on either engine
WEB = DATA / "web"
COFFEE = "/resource/news/ilo-coop-coffeepeople-webinar"
INTERVIEW = "/resource/article/interview-ekaterina-dimitrova"
COFFEE_TITLE = ("ILO COOP participates in a #CoffeePeople webinar on Occupational Safety and "
                "Health through Cooperatives")
INTERVIEW_TITLE = ("Interview with Ekaterina Dimitrova, Project Manager, Monnaie Léman, Geneva, "
                   "Switzerland")
CONFIG = """
[site]
title = "Followed"
link = "https://news.example.org/"
base_url = "https://feeds.example.org/"
id_authority = "example.org,2024"
timezone = "Europe/Zurich"
{site}
[fetch]
timeout = 2
retries = 1
backoff = 0.01
{fetch}
[output]
content = "{content}"

[[sources]]
name = "ilo"
url = "{base}/news"
follow = {follow}
{source}
"""


def _config(project: Path, web: Site, content: str = "full", follow: bool = True,
            source: str = "", fetch: str = "", site: str = "") -> None:
    """The project's config, reading the ILO listing at `web` (its [store], if any, kept)."""
    config = project / "config.toml"
    old = config.read_text()
    store = old[old.index("[store]"):old.index("[site]")] if "[store]" in old else ""
    config.write_text(store + CONFIG.format(
        base=web.base, content=content, follow=str(follow).lower(), source=source, fetch=fetch,
        site=site))


def _serve(web: Site) -> None:
    """The ILO listing (two linked items) and each item's page with its pictures."""
    web.route("/news", (WEB / "ilo-page1.html").read_bytes())
    web.route(COFFEE, (WEB / "articles" / "coffeepeople.html").read_bytes(), etag='"c1"')
    web.route(INTERVIEW, (WEB / "articles" / "interview.html").read_bytes(),
              content_type="text/html", last_modified="Mon, 20 Nov 2023 16:00:00 GMT")
    web.route("/sites/default/files/coffee-webinar.png", _png(480, 320),
              content_type="image/png")
    web.route("/resource/images/dimitrova.png", _png(480, 320), content_type="image/png")


def _by_title(project: Path, name: str = "all.atom") -> dict[str, Any]:
    return {e.title: e for e in feedparser.parse(project / "feeds" / name).entries}


def _text(markup: str) -> str:
    return " ".join(lxml_html.fromstring(markup).text_content().split())


def test_feeds_carry_each_pages_full_text_picture_times_and_author(
        project: Path, cli: Callable[..., Result], web: Site) -> None:
    _serve(web)
    _config(project, web)
    result = cli("build")
    assert result.exit_code == 0, result.output
    assert "Item pages: 2 fetched." in result.stdout
    atom = _by_title(project)
    coffee = atom[COFFEE_TITLE]
    [content] = [c for c in coffee.content if c.type == "text/html"]
    text = _text(content.value)
    assert text.startswith("The ILO's Cooperatives Unit joined the LABADMIN/OSH Branch")
    assert "What cooperatives bring" in text and "A voice in national OSH policy dialogue" in text
    assert "For more information, contact the Cooperatives Unit" in text
    for around in ("cookies", "Manage preferences", "Related content", "Privacy policy",
                   "Share on X", "About the ILO", "inline script"):
        assert around not in text, around
    body = lxml_html.fromstring(content.value)
    assert body.get("lang") == "en"
    links = body.xpath("//a/@href")
    assert f"{web.base}/resource/publication/osh-coffee" in links  # made absolute
    assert "mailto:coop@ilo.org" in links
    assert not [h for h in links if not h.startswith(("http://", "https://", "mailto:"))]
    assert body.xpath("//img/@src") == [
        f"{web.base}/sites/default/files/styles/large/coffee-farmers.png"]
    assert not body.xpath("//script | //iframe | //style | //form | //*[@onclick] | "
                          "//*[@onerror] | //*[@style]")
    # The listing's teaser stays the summary; the page's time of day and modification count.
    assert coffee.summary.startswith("ILO COOP unit joined the ILO’s LABADMIN/OSH Branch")
    assert coffee.published == "2023-12-01T09:14:00+01:00"
    assert coffee.updated == "2023-12-04T16:30:00+01:00"
    assert coffee.author == "Simel Esim"
    assert coffee.media_content[0]["url"] == f"{web.base}/sites/default/files/coffee-webinar.png"
    # The interview's listing has no summary: the page's description, cut at a sentence.
    interview = atom[INTERVIEW_TITLE]
    assert interview.summary.startswith("Ekaterina Dimitrova, cheffe de projet à la Monnaie "
                                        "Léman")
    assert len(interview.summary) <= 300 and interview.summary.endswith(".")
    assert interview.published == "2023-11-20T16:45:00+01:00"  # 15:45 UTC, in Geneva
    [french] = [c for c in interview.content if c.type == "text/html"]
    assert "Le prix payé en léman coûte 1 € ou 1 CHF." in _text(french.value)  # iso-8859-15
    assert lxml_html.fromstring(french.value).get("lang") == "fr-CH"
    assert interview.media_content[0]["url"] == f"{web.base}/resource/images/dimitrova.png"
    assert interview.author == "Unité des coopératives de l'OIT"
    # RSS and JSON Feed carry the same text and teaser.
    rss = _by_title(project, "all.rss")[COFFEE_TITLE]
    assert _text(rss.content[0].value) == text
    assert rss.summary.startswith("ILO COOP unit joined") and rss.author == "Simel Esim"
    items = {i.title: i for i in jsonfeed.Feed.parse_string(
        (project / "feeds" / "all.json").read_text(encoding="utf-8")).items}
    assert _text(items[COFFEE_TITLE].content_html) == text
    assert items[COFFEE_TITLE].summary.startswith("ILO COOP unit joined")
    assert items[COFFEE_TITLE].date_published == "2023-12-01T09:14:00+01:00"


def test_with_summary_content_feeds_keep_the_teaser_and_the_page_still_adds_the_rest(
        project: Path, cli: Callable[..., Result], web: Site) -> None:
    _serve(web)
    _config(project, web, content="summary")
    assert cli("build").exit_code == 0
    coffee = _by_title(project)[COFFEE_TITLE]
    assert [c.type for c in coffee.content] == ["text/plain"]
    assert coffee.content[0].value.startswith("ILO COOP unit joined")
    assert coffee.published == "2023-12-01T09:14:00+01:00"
    assert b"content:encoded" not in (project / "feeds" / "all.rss").read_bytes()
    assert "content_html" not in (project / "feeds" / "all.json").read_text()


def test_without_follow_no_item_page_is_fetched(
        project: Path, cli: Callable[..., Result], web: Site) -> None:
    _serve(web)
    _config(project, web, follow=False)
    result = cli("build")
    assert result.exit_code == 0 and "Item pages" not in result.stdout
    assert web.hits.get(COFFEE, 0) == web.hits.get(INTERVIEW, 0) == 0
    assert _by_title(project)[COFFEE_TITLE].published == "2023-12-01T12:00:00+01:00"


def test_a_page_is_fetched_once_then_again_when_its_item_changes_or_is_refreshed(
        project: Path, cli: Callable[..., Result], web: Site) -> None:
    _serve(web)
    _config(project, web)
    assert cli("build").exit_code == 0
    assert web.hits[COFFEE] == web.hits[INTERVIEW] == 1
    before = contents(project / "feeds")
    assert cli("build").exit_code == 0  # nothing changed: no page fetched again
    assert web.hits[COFFEE] == web.hits[INTERVIEW] == 1
    assert contents(project / "feeds") == before
    # The listing edits the interview's title: its page is asked for again, conditionally.
    listing = (WEB / "ilo-page1.html").read_text(encoding="utf-8")
    web.route("/news", listing.replace("Geneva, Switzerland", "Geneva").encode())
    assert cli("build").exit_code == 0
    assert web.hits[INTERVIEW] == 2 and web.hits[COFFEE] == 1
    assert web.requests[-1]["if-modified-since"] == "Mon, 20 Nov 2023 16:00:00 GMT"
    # `refresh` by id: the coffee page is fetched again with the next build (a 304 here).
    [coffee_id] = [e.id for e in _by_title(project).values() if e.title == COFFEE_TITLE]
    refreshed = cli("refresh", coffee_id)
    assert refreshed.exit_code == 0, refreshed.output
    assert f"{web.base}{COFFEE}: fetched again with the next build." in refreshed.stdout
    assert web.hits[COFFEE] == 1  # not by `refresh` itself
    assert cli("build").exit_code == 0
    assert web.hits[COFFEE] == 2 and web.requests[-1]["if-none-match"] == '"c1"'
    assert cli("build").exit_code == 0 and web.hits[COFFEE] == 2
    # By link, and a changed page: its new text reaches the feeds.
    page = (WEB / "articles" / "coffeepeople.html").read_text(encoding="utf-8")
    web.route(COFFEE, page.replace("Ethiopia and Lao PDR", "Ethiopia, Lao PDR and Peru").encode(),
              etag='"c2"')
    assert cli("refresh", f"{web.base}{COFFEE}").exit_code == 0
    assert cli("build").exit_code == 0
    [content] = [c for c in _by_title(project)[COFFEE_TITLE].content if c.type == "text/html"]
    assert "Ethiopia, Lao PDR and Peru" in content.value
    unknown = cli("refresh", "tag:example.org,2024:nothing")
    assert unknown.exit_code == 2 and "no stored item has the id or link" in unknown.stderr


def test_a_kept_page_older_than_max_age_is_fetched_again(
        project: Path, cli: Callable[..., Result], web: Site) -> None:
    _serve(web)
    _config(project, web)
    config = project / "config.toml"
    config.write_text(config.read_text() + "\n[follow]\nmax_age_days = 7\n")
    assert cli("build").exit_code == 0
    query(project, "UPDATE articles SET fetched_at = '2000-01-01T00:00:00.000000Z' WHERE url = ?",
          (f"{web.base}{INTERVIEW}",))
    assert cli("build").exit_code == 0
    assert web.hits[INTERVIEW] == 2 and web.hits[COFFEE] == 1


def test_pages_robots_txt_disallows_or_off_the_allowed_origins_are_not_fetched(
        project: Path, cli: Callable[..., Result], web: Site, other_web: Site) -> None:
    _serve(web)
    web.route("/robots.txt", b"User-agent: feedsmith\nDisallow: /resource/article/\n",
              content_type="text/plain")
    listing = (WEB / "ilo-page1.html").read_text(encoding="utf-8")
    web.route("/news", listing.replace(f'href="{COFFEE}"', f'href="{other_web.base}{COFFEE}"')
              .encode())
    other_web.route(COFFEE, (WEB / "articles" / "coffeepeople.html").read_bytes())
    _config(project, web)
    result = cli("build")
    assert result.exit_code == 0, result.output
    assert (f"warning: {web.base}{INTERVIEW}: item page not followed: {web.base}/robots.txt "
            "disallows it for 'feedsmith (+https://feeds.example.org/)': not fetched"
            in result.stderr)
    assert (f"warning: {other_web.base}{COFFEE}: item page not followed: outside "
            f"{web.base}" in result.stderr)
    assert "allow_origins" in result.stderr
    assert "Item pages: 0 fetched, 2 not had (see the warnings)." in result.stdout
    assert web.hits.get(INTERVIEW, 0) == 0 and other_web.hits.get(COFFEE, 0) == 0
    assert web.hits["/robots.txt"] == 1  # once for the listing and the pages
    assert not any(c.type == "text/html" for e in _by_title(project).values() for c in e.content)
    again = cli("build")  # a lasting refusal is not tried (nor warned about) every build
    assert "item page not followed" not in again.stderr
    config = project / "config.toml"  # the other origin allowed: followed once asked
    config.write_text(config.read_text().replace(
        "follow = true", f'follow = true\nallow_origins = ["{other_web.base}"]'))
    assert cli("refresh", f"{other_web.base}{COFFEE}").exit_code == 0
    assert cli("build").exit_code == 0 and other_web.hits[COFFEE] == 1


def test_a_page_that_fails_for_now_is_tried_again_and_a_gone_one_is_not(
        project: Path, cli: Callable[..., Result], web: Site) -> None:
    _serve(web)
    web.route(COFFEE, (WEB / "articles" / "coffeepeople.html").read_bytes(), fail_times=2)
    web.route(INTERVIEW, status=404)
    _config(project, web)
    result = cli("build")
    assert result.exit_code == 0  # a page that fails is a warning, never a failed build
    assert (f"{web.base}{COFFEE}: item page not followed: server error 503 (tried 2 times); "
            "tried again next build") in result.stderr
    assert f"{web.base}{INTERVIEW}: item page not followed: HTTP 404 Not Found" in result.stderr
    assert cli("build").exit_code == 0
    assert web.hits[COFFEE] == 3 and web.hits[INTERVIEW] == 1
    assert any(c.type == "text/html" for c in _by_title(project)[COFFEE_TITLE].content)
    assert cli("build").exit_code == 0 and web.hits[COFFEE] == 3


def test_per_build_fetches_the_newest_items_first_and_the_rest_later(
        project: Path, cli: Callable[..., Result], web: Site) -> None:
    _serve(web)
    _config(project, web)
    config = project / "config.toml"
    config.write_text(config.read_text() + "\n[follow]\nper_build = 1\n")
    result = cli("build")
    assert "Item pages: 1 fetched; 1 more with the next build(s)" in result.stdout
    assert web.hits.get(COFFEE) == 1 and web.hits.get(INTERVIEW, 0) == 0  # Dec 1 before Nov 20
    assert "Item pages: 1 fetched." in cli("build").stdout
    assert web.hits[INTERVIEW] == 1


def test_item_pages_are_fetched_at_once_within_the_limits_with_the_same_output(
        project: Path, cli: Callable[..., Result], web: Site, copy_project: Any,
        tmp_path: Path) -> None:
    """Twelve linked items on one host: never more than per_host open, and the same files
    as one request at a time."""
    cards = "".join(
        f'<div class="views-row"><h3 class="card__title"><a href="/story/{n}">Story number {n} '
        f'of the cooperatives</a></h3><time class="card__date" datetime="2023-11-{n + 1:02d}">'
        f'{n + 1} November 2023</time></div>' for n in range(12))
    web.route("/news", f"<html><body><main>{cards}</main></body></html>".encode())
    page = (WEB / "articles" / "coffeepeople.html").read_text(encoding="utf-8")
    for n in range(12):
        web.route(f"/story/{n}", page.replace("2023-12-01T09:14", f"2023-11-{n + 1:02d}T09:{n:02d}")
                  .replace("30 November", f"day {n}").encode(), delay=0.1)
    selectors = ('[sources.selectors]\nitem = "div.views-row"\ntitle = "h3 a"\n'
                 'date = "time"\n')
    _config(project, web, source=selectors, fetch="concurrency = 8\nper_host = 3")
    one_at_a_time = tmp_path / "serial"
    copy_project(project, one_at_a_time)
    assert cli("build").exit_code == 0
    assert web.most_open == 3 and web.hits["/story/11"] == 1
    config = one_at_a_time / "config.toml"
    config.write_text(config.read_text().replace("concurrency = 8", "concurrency = 1"))
    web.most_open = 0
    result = cli("build", config=config)
    assert result.exit_code == 0 and web.most_open == 1
    assert contents(one_at_a_time / "feeds") == contents(project / "feeds")
    times = [e.published for e in feedparser.parse(project / "feeds" / "all.atom").entries]
    assert times[0] == "2023-11-12T09:11:00+01:00" and times[-1] == "2023-11-01T09:00:00+01:00"


def test_ctrl_c_stops_a_build_without_waiting_for_its_item_pages(project: Path,
                                                                  web: Site) -> None:
    """Both item pages never answer: Ctrl-C cuts them rather than wait out the 30 s timeout."""
    _serve(web)
    web.routes[COFFEE]["delay"] = web.routes[INTERVIEW]["delay"] = 120
    _config(project, web)
    config = project / "config.toml"
    config.write_text(config.read_text().replace("timeout = 2", "timeout = 30"))
    ctrl_c_when(config, lambda: {COFFEE, INTERVIEW} <= set(web.hits))


def test_each_host_has_slots_of_its_own(project: Path, cli: Callable[..., Result],
                                        web: Site) -> None:
    """per_host is per host: item pages on two hosts (one server, named 127.0.0.1 and
    localhost) are fetched per_host at a time on each, both at once."""
    other = web.base.replace("127.0.0.1", "localhost")
    cards = "".join(
        f'<div class="views-row"><h3><a href="{other if n % 2 else ""}/story/{n}">Story number '
        f'{n} of the cooperatives</a></h3><time datetime="2023-11-{n + 1:02d}">{n + 1} November '
        f'2023</time></div>' for n in range(8))
    web.route("/news", f"<html><body><main>{cards}</main></body></html>".encode())
    page = (WEB / "articles" / "coffeepeople.html").read_bytes()
    for n in range(8):
        web.route(f"/story/{n}", page, delay=0.3)
    _config(project, web, fetch="concurrency = 8\nper_host = 2",
            source=f'allow_origins = ["{other}"]\n[sources.selectors]\nitem = "div.views-row"\n'
                   'title = "h3 a"\ndate = "time"\n')
    assert cli("build").exit_code == 0
    assert web.most_open == 4 and all(web.hits[f"/story/{n}"] == 1 for n in range(8))


def test_follow_settings_are_checked(project: Path, cli: Callable[..., Result],
                                     web: Site) -> None:
    _config(project, web, content="everything")
    result = cli("build")
    assert result.exit_code == 1 and "[output] content" in result.stderr
    assert "expected one of summary, full, got 'everything'" in result.stderr
    _config(project, web)
    config = project / "config.toml"
    config.write_text(config.read_text() + "\n[follow]\nmax_age = 3\n")
    result = cli("build")
    assert result.exit_code == 1 and "max_age" in result.stderr and "max_age_days" in result.stderr
    text = config.read_text().replace("[follow]\nmax_age = 3\n", "")
    listing = project / "listing.txt"
    listing.write_text("  1. News\n\n    A story\n\n    01 May 2024\n")
    config.write_text(text.replace(f'url = "{web.base}/news"', f'paths = ["{listing}"]'))
    result = cli("build")
    assert result.exit_code == 1
    assert "follow = true fetches item pages only from the sites a source names" in result.stderr


def test_what_a_page_gave_is_kept_in_the_store(project: Path, cli: Callable[..., Result],
                                               web: Site) -> None:
    _serve(web)
    _config(project, web)
    assert cli("build").exit_code == 0
    rows = {url: (etag, modified, failure, json.dumps(author)) for url, etag, modified, failure,
            author in query(project, "SELECT url, etag, last_modified, failure, author "
                                     "FROM articles")}
    assert rows == {
        f"{web.base}{COFFEE}": ('"c1"', "", "", '"Simel Esim"'),
        f"{web.base}{INTERVIEW}": ("", "Mon, 20 Nov 2023 16:00:00 GMT", "",
                                   json.dumps("Unité des coopératives de l'OIT"))}
    status = cli("status")
    assert "Item pages: 2 kept" in status.stdout


def test_the_digest_shows_each_storys_picture_from_its_page(
        project: Path, cli: Callable[..., Result], web: Site, browser: Any) -> None:
    _serve(web)
    web.route("/news", (WEB / "ilo-page1.html").read_bytes())
    example = (project / "config.toml").read_text()
    start, end = example.index("[[sources]]"), example.index("[output]")
    (project / "config.toml").write_text(
        example[:start] + f'[[sources]]\nname = "ilo"\nurl = "{web.base}/news"\nfollow = true\n\n'
        + example[end:])
    assert cli("build").exit_code == 0
    result = cli("digest", "--month", "2023-11", "--now", "2023-12-01T09:00")
    assert result.exit_code == 0, result.output
    html = (project / "feeds" / "digest" / "2023-11.html").read_text(encoding="utf-8")
    page = browser.new_page(viewport={"width": 375, "height": 900})
    page.set_content(html, wait_until="load")
    pictures = page.evaluate("[...document.images].map(i => ({src: i.src, natural: "
                             "i.naturalWidth, alt: i.alt}))")
    page.close()
    [story] = [p for p in pictures if p["src"].endswith("dimitrova.png")]
    assert story["natural"] == 480  # loaded
    assert story["alt"] == "Ekaterina Dimitrova devant un commerce partenaire"
    assert "Ekaterina Dimitrova, cheffe de projet à la Monnaie Léman" in html  # the teaser


def test_a_page_that_dates_its_item_another_day_does_not_move_it(
        project: Path, cli: Callable[..., Result], web: Site) -> None:
    _serve(web)
    page = (WEB / "articles" / "coffeepeople.html").read_text(encoding="utf-8")
    web.route(COFFEE, page.replace("2023-12-01T", "2023-11-28T").encode())
    _config(project, web)
    assert cli("build").exit_code == 0
    assert _by_title(project)[COFFEE_TITLE].published == "2023-12-01T12:00:00+01:00"


def test_the_allow_list_leaves_no_active_markup_and_only_absolute_web_links() -> None:
    from feedsmith.sources.article import sanitised

    hostile = ('<p onclick="x()" style="color:red" class="lead">Text <b>bold</b></p>'
               '<script>alert(1)</script><style>p{}</style><iframe src="https://e.org/"></iframe>'
               '<form action="/x"><input name="q"></form>'
               '<a href="javascript:alert(1)">js</a><a href=" /relative?a=1 ">rel</a>'
               '<a href="mailto:coop@ilo.org">mail</a><a href="ftp://e.org/f">ftp</a>'
               '<img src="data:image/png;base64,AAAA" alt="data"><img src="pic.png" alt="pic" '
               'onerror="x()" width="40"><svg><script>alert(2)</script></svg>'
               '<table><tr><td colspan="2" bgcolor="red">cell</td></tr></table>')
    clean = lxml_html.fragment_fromstring(sanitised(hostile, "https://www.ilo.org/news/item"),
                                          create_parent="div")
    assert not clean.xpath("//script | //style | //iframe | //form | //input | //svg")
    assert not [a for e in clean.iter() for a in e.attrib
                if a.startswith("on") or a in ("style", "class", "bgcolor")]
    assert {a.text: a.get("href") for a in clean.iter("a")} == {
        "js": None, "rel": "https://www.ilo.org/relative?a=1", "mail": "mailto:coop@ilo.org",
        "ftp": None}
    assert [(i.get("src"), i.get("width")) for i in clean.iter("img")] == [
        (None, None), ("https://www.ilo.org/news/pic.png", "40")]
    assert clean.xpath("//td/@colspan") == ["2"] and "Text bold" in clean.text_content()
