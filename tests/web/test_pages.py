"""The web edition as readers meet it: permalinks that resolve and never move, pages in a real
browser at phone and desktop widths, feeds opened in that browser, the OPML in a real feed reader,
JSON Feed read by an independent parser, and the preview server's headers."""

from __future__ import annotations

import itertools
import shutil
import sqlite3
import subprocess
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urlsplit

import feedparser
import jsonfeed
import pytest
from lxml import html

from feedsmith.config import load_config
from feedsmith.pipeline import build
from feedsmith.web.serve import make_server
from tests.fixtures.project import REPO, Result, tree
from tests.fixtures.system import require

BASE = "https://feeds.example.org/ilo-coop/"
LINK_BLUE = "rgb(31, 79, 153)"  # style.css's --link in the light scheme
LISTING = "000_254e8c6e76770959.txt"
NEW_ITEM = """  1. News

    A brand-new item on top of the listing

    02 December 2023

"""


def _build(project: Path, now: datetime = datetime(2026, 11, 23, tzinfo=UTC)) -> list[str]:
    return build(load_config(project / "config.toml"), now).written


def _links(feed: Path) -> dict[str, str]:
    return {e.id: e.link for e in feedparser.parse(feed).entries}


def _ids_in(page: Path) -> set[str]:
    return set(html.parse(str(page)).getroot().xpath("//@id"))


def _set(project: Path, old: str, new: str) -> None:
    config = project / "config.toml"
    text = config.read_text()
    assert old in text
    config.write_text(text.replace(old, new, 1))


# --- permalinks --------------------------------------------------------------------------------


def test_every_item_links_to_its_place_in_the_archive(project: Path) -> None:
    _set(project, "max_entries = 50", "max_entries = 3")
    _build(project)
    feeds = project / "feeds"
    anchored: set[str] = set()
    for page in (feeds / "archive").glob("*.html"):
        anchored |= {f"{BASE}archive/{page.name}#{i}" for i in _ids_in(page)
                     if i.startswith("item-")}
    assert len(anchored) == 50  # every entry in the store, not only the newest 3 per feed
    for feed in feeds.glob("*.atom"):
        for entry_id, link in _links(feed).items():
            assert link in anchored, (feed.name, entry_id)
            month = entry_id.split(":")[-1][:7]  # a date-and-title id: its listed day
            assert link.startswith(f"{BASE}archive/{month}.html#item-")


def test_permalinks_never_move_and_unchanged_months_are_not_rewritten(project: Path) -> None:
    _build(project)
    feeds = project / "feeds"
    links = _links(feeds / "all.atom")
    before = tree(feeds / "archive")
    listing = project / "listings" / LISTING
    text = listing.read_text(encoding="utf-8")
    marker = "  1. "
    listing.write_text(text.replace(marker, NEW_ITEM + marker, 1), encoding="utf-8")
    written = _build(project, datetime(2026, 11, 24, tzinfo=UTC))
    # the new item's month, and the index of months, whose count for it changed
    assert sorted(w for w in written if w.startswith("archive/")) == [
        "archive/2023-12.html", "archive/index.html"]
    after = tree(feeds / "archive")
    changed = {"2023-12.html", "index.html"}
    assert {k: v for k, v in after.items() if k not in changed} == \
        {k: v for k, v in before.items() if k not in changed}  # bytes and mtimes
    again = _links(feeds / "all.atom")
    assert {i: again[i] for i in links if i in again} == {i: links[i] for i in links if i in again}
    new = next(e for e in feedparser.parse(feeds / "all.atom").entries if "brand-new" in e.title)
    assert urldefrag(new.link).fragment in _ids_in(feeds / "archive" / "2023-12.html")


def test_a_new_month_gets_linked_from_its_neighbour(project: Path) -> None:
    _build(project)
    listing = project / "listings" / LISTING
    text = listing.read_text(encoding="utf-8")
    new = NEW_ITEM.replace("02 December 2023", "05 January 2024")
    listing.write_text(text.replace("  1. ", new + "  1. ", 1), encoding="utf-8")
    written = _build(project, datetime(2026, 11, 24, tzinfo=UTC))
    assert {"archive/2024-01.html", "archive/2023-12.html"} <= set(written)
    december = html.parse(str(project / "feeds" / "archive" / "2023-12.html"))
    assert december.xpath("//a[@rel='next']/@href") == ["2024-01.html"] * 2  # top and bottom


def test_an_item_with_a_link_of_its_own_keeps_it_everywhere(project: Path) -> None:
    _build(project)
    db = sqlite3.connect(project / "feedsmith.db")  # as a listing with links would have stored it
    with db:
        db.execute("UPDATE entries SET link = 'https://www.ilo.org/x' WHERE title LIKE "
                   "'The ILO conducts a cooperative audit%'")
        db.execute("INSERT INTO pending_feeds VALUES ('all'), ('news')")
        db.execute("INSERT OR IGNORE INTO pending_months SELECT substr(day, 1, 7) FROM entries "
                   "WHERE link != ''")
    db.close()
    _build(project)
    feeds = project / "feeds"
    [entry] = [e for e in feedparser.parse(feeds / "news.rss").entries if "cooperative audit" in e.title]
    assert entry.link == "https://www.ilo.org/x"
    pages = [feeds / "index.html", feeds / "news.html", *(feeds / "archive").glob("*.html")]
    hrefs = [a for page in pages for a in html.parse(str(page)).xpath(
        "//a[starts-with(normalize-space(), 'The ILO conducts a cooperative audit')]/@href")]
    assert hrefs and set(hrefs) == {"https://www.ilo.org/x"}


# --- feeds in every format ---------------------------------------------------------------------


def test_json_feed_carries_the_same_items_ids_order_and_links(project: Path) -> None:
    _build(project)
    feeds = project / "feeds"
    for atom in sorted(feeds.glob("*.atom")):
        parsed = jsonfeed.Feed.parse_string(atom.with_suffix(".json").read_text(encoding="utf-8"))
        entries = feedparser.parse(atom).entries
        assert [(i.id, i.url, i.title) for i in parsed.items] == \
            [(e.id, e.link, e.title) for e in entries]
        assert parsed.feed_url == BASE + atom.with_suffix(".json").name
        assert all(i.content_text and i.date_published for i in parsed.items)


def test_icon_and_logo_appear_in_pages_and_feeds(project: Path, cli: Callable[..., Result]) -> None:
    _set(project, 'language = "en"',
         'language = "en"\nicon = "icon.png"\nlogo = "https://www.ilo.org/logo.svg"')
    _build(project)
    feeds = project / "feeds"
    atom = feedparser.parse(feeds / "all.atom").feed
    assert (atom.icon, atom.logo) == (BASE + "icon.png", "https://www.ilo.org/logo.svg")
    assert feedparser.parse(feeds / "news.rss").feed.image.href == "https://www.ilo.org/logo.svg"
    parsed = jsonfeed.Feed.parse_string((feeds / "all.json").read_text(encoding="utf-8"))
    assert (parsed.favicon, parsed.icon) == (BASE + "icon.png", "https://www.ilo.org/logo.svg")
    for page in (feeds / "index.html", feeds / "archive" / "2023-11.html"):
        tree_ = html.parse(str(page))
        assert tree_.xpath("//link[@rel='icon']/@href") == [BASE + "icon.png"]
        assert tree_.xpath("//img[@class='logo']/@alt") == [load_config(
            project / "config.toml").site.title]
    _set(project, 'icon = "icon.png"', 'icon = "javascript:alert(1)"')
    result = cli("build")
    assert result.exit_code == 1
    assert "[site] icon: expected an http(s) URL or a file name under base_url" in result.output


# --- in a real browser and a real feed reader --------------------------------------------------


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """The example built with its base_url at a local server that serves it: every absolute link
    then points into the output folder, as it would in production."""
    project = tmp_path_factory.mktemp("live")
    shutil.copy(REPO / "config.toml", project / "config.toml")
    shutil.copytree(REPO / "listings", project / "listings")
    shutil.copytree(REPO / "assets", project / "assets")
    (project / "feeds").mkdir()
    server = make_server(project / "feeds", "127.0.0.1", 0)
    base = f"http://127.0.0.1:{server.server_port}/"
    _set(project, f'base_url = "{BASE}"', f'base_url = "{base}"')
    _build(project)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield project / "feeds", base
    server.shutdown()
    server.server_close()


def _pages(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*.html"))


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [375, 1280])
def test_pages_fit_the_screen_and_every_link_resolves(live: tuple[Path, str], browser: Any,
                                                      width: int, scheme: str) -> None:
    folder, base = live
    listing = load_config(folder.parent / "config.toml").site.link
    page = browser.new_page(viewport={"width": width, "height": 800}, color_scheme=scheme)
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    for name in _pages(folder):
        response = page.goto(base + name)
        assert response.status == 200
        assert page.evaluate("document.documentElement.lang") == "en"
        assert page.evaluate("document.documentElement.scrollWidth") <= width, name
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert (background == DARK_PAGE) == (scheme == "dark"), (name, background)
        assert page.evaluate("document.scripts.length") == 0
        assert page.locator("h1").count() == 1
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)"):
            if href == listing:
                continue
            target, fragment = urldefrag(href)
            assert target.startswith(base), (name, href)
            path = folder / (urlsplit(target).path.lstrip("/") or "index.html")
            assert path.is_file(), (name, href)
            assert not fragment or fragment in _ids_in(path), (name, href)
    assert all(url.startswith(base) for url in requests)  # no fonts, CDNs or trackers
    page.close()


def test_focus_is_visible(live: tuple[Path, str], browser: Any) -> None:
    _, base = live
    page = browser.new_page(viewport={"width": 375, "height": 800})
    page.goto(base)
    page.keyboard.press("Tab")
    style = page.evaluate("(() => { const s = getComputedStyle(document.activeElement);"
                          " return [document.activeElement.tagName, s.outlineStyle]; })()")
    assert style == ["A", "solid"]
    page.close()


@pytest.mark.parametrize("name", ["news.rss", "news.atom", "all.atom"])
def test_a_feed_opened_in_the_browser_reads_as_a_page(live: tuple[Path, str], browser: Any,
                                                      name: str) -> None:
    folder, base = live
    page = browser.new_page(viewport={"width": 375, "height": 800})
    response = page.goto(base + name)
    assert response.headers["content-type"] == "application/xml; charset=utf-8"
    assert page.evaluate("document.styleSheets.length") == 1  # feed.css applied, not plain text
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    root = page.evaluate("getComputedStyle(document.documentElement, '::before').content")
    assert "To subscribe, copy the address of this page" in root
    feed = feedparser.parse(folder / name)
    web_page = base if name.startswith("all.") else base + name.split(".")[0] + ".html"
    visible = page.evaluate(
        "[...document.documentElement.querySelectorAll('*')]"
        ".filter(e => getComputedStyle(e).display !== 'none')"
        ".map(e => e.localName + ' ' + (e.getAttribute('href') ?? e.textContent.trim()))")
    assert f"link {web_page}" in visible  # the same feed as a web page
    titles = [t for t in visible if t.startswith("title ")]
    assert titles == [f"title {t}" for t in [feed.feed.title, *(e.title for e in feed.entries)]]
    assert not any(t.startswith(("guid ", "id ", "category ", "updated ")) for t in visible)
    # RSS and Atom show an item's fields in one order, top to bottom
    shown = page.evaluate(
        "[...document.documentElement.querySelector('item, entry').children]"
        ".filter(e => getComputedStyle(e).display !== 'none')"
        ".sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top)"
        ".map(e => e.localName)")
    roles = {"title": "title", "pubDate": "date", "published": "date", "description": "summary",
             "summary": "summary", "content": "summary", "link": "address"}
    assert [roles[name] for name in shown] == ["title", "date", "summary", "address"], shown
    # the date as a reader sees it: the day, never a time with seconds (the rest is clipped)
    dates = page.evaluate(
        "[...document.querySelectorAll('item > pubDate, entry > published')].map(e => {"
        "  const box = e.getBoundingClientRect(), text = e.firstChild; let seen = '';"
        "  for (let i = 0; i < text.length; i++) {"
        "    const range = document.createRange(); range.setStart(text, i); range.setEnd(text, i + 1);"
        "    const glyph = range.getBoundingClientRect();"
        "    if (glyph.width > 0 && glyph.right <= box.right + 0.5) seen += text.data[i]; }"
        "  return seen; })")
    if name.endswith(".atom"):
        days = [datetime.fromisoformat(e.published).date().isoformat() for e in feed.entries]
    else:
        days = [f"{parsedate_to_datetime(e.published):%a, %d %b %Y}" for e in feed.entries]
    assert dates == days
    # nothing that cannot be clicked looks like a link: no text in the pages' link colour
    colours = page.evaluate("[...document.documentElement.querySelectorAll('*')]"
                            ".map(e => getComputedStyle(e).color)")
    assert LINK_BLUE not in colours
    page.close()


def test_the_opml_shows_every_item_once_in_newsboat(live: tuple[Path, str],
                                                    tmp_path: Path) -> None:
    newsboat = require("newsboat", "the OPML is imported into a real feed reader")
    folder, _ = live
    urls, cache = tmp_path / "urls", tmp_path / "cache.db"
    (tmp_path / "config").write_text("")
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    common = ["-u", str(urls), "-c", str(cache), "-C", str(tmp_path / "config")]
    subprocess.run([newsboat, "-i", str(folder / "feeds.opml"), *common], env=env, check=True,
                   capture_output=True, timeout=60)
    subprocess.run([newsboat, *common, "-x", "reload"], env=env, check=True, capture_output=True,
                   timeout=120)
    with sqlite3.connect(cache) as db:
        rows = db.execute("SELECT guid, feedurl FROM rss_item").fetchall()
        feeds = {url for (url,) in db.execute("SELECT rssurl FROM rss_feed")}
    everything = {e.id for e in feedparser.parse(folder / "all.atom").entries}
    assert len(feeds) == len(list(folder.glob("*.atom"))) - 1  # every category, not "all"
    assert sorted(guid for guid, _ in rows) == sorted(everything)  # each item exactly once


@pytest.mark.parametrize(("locale", "shown"), [("en-GB", "30 November 2023"),
                                               ("en", "November 30, 2023"),
                                               ("fr", "30 novembre 2023")])
def test_dates_are_written_as_the_site_writes_them(project: Path, locale: str,
                                                   shown: str) -> None:
    config = project / "config.toml"
    config.write_text(config.read_text().replace('locale = "en-GB"', f'locale = "{locale}"'))
    _build(project)
    page = html.parse(str(project / "feeds" / "archive" / "2023-11.html")).getroot()
    dates = {t.get("datetime"): t.text_content() for t in page.iter("time")}
    assert dates["2023-11-30"] == shown


def test_archive_items_lead_somewhere(project: Path) -> None:
    """On a month's page, an item without a page of its own is a heading with a permalink mark
    (not a link to where the reader already is), and its category leads to the category's
    page."""
    _build(project)
    feeds = project / "feeds"
    page = html.parse(str(feeds / "archive" / "2023-11.html")).getroot()
    items = page.xpath("//ol[@class='entries']/li")
    assert len(items) == 9
    for item in items:
        heading = item.find("h2")
        assert heading.find("a") is None and heading.text_content().strip()
        marks = [a for a in item.iter("a") if a.get("aria-label") == "Permalink to this item"]
        assert [a.get("href") for a in marks] == [f"#{item.get('id')}"]
        [category] = [a for a in item.xpath("p[@class='meta']/a") if a not in marks]
        target = (feeds / "archive" / category.get("href")).resolve()
        assert target.exists()
        assert html.parse(str(target)).getroot().findtext(".//h1") == category.text_content()


def test_a_month_says_how_many_items_and_leads_to_its_neighbours_at_top_and_bottom(
        project: Path) -> None:
    _build(project)
    page = html.parse(str(project / "feeds" / "archive" / "2023-11.html")).getroot()
    assert page.findtext(".//p[@class='count']") == "9 items"
    navs = page.xpath("//nav[@class='months']")
    assert len(navs) == 2 and navs[0].getprevious().tag == "p"
    assert navs[0].xpath("following::ol[@class='entries']")  # above the items
    assert navs[1].xpath("preceding::ol[@class='entries']")  # and below them
    months = sorted(p.name for p in (project / "feeds" / "archive").glob("[0-9]*.html"))
    at = months.index("2023-11.html")
    for nav in navs:
        assert nav.xpath(".//a[@rel='prev']/@href") == [months[at - 1]]
        assert nav.xpath(".//a[@rel='next']/@href") == [months[at + 1]]


# --- news first, and two clicks to anything ----------------------------------------------------


def test_a_phone_shows_news_first_and_the_site_title_once(live: tuple[Path, str],
                                                          browser: Any) -> None:
    folder, base = live
    title = load_config(folder.parent / "config.toml").site.title
    page = browser.new_page(viewport={"width": 375, "height": 800})
    page.goto(base)
    items = page.locator("ol.entries > li")
    assert items.count() == 15  # [site] home_items' default
    assert page.evaluate("document.querySelector('ol.entries > li h2')"
                         ".getBoundingClientRect().bottom") < 800  # its title in the first screen
    assert page.locator("h1").inner_text() == "Latest news"
    assert page.locator("body").inner_text().count(title) == 1  # the masthead's, no more
    more = page.get_by_role("link", name="More in the archive")
    assert more.get_attribute("href") == "archive/index.html"
    nav = page.get_by_role("navigation", name="Site")
    assert nav.get_by_role("link").all_inner_texts() == ["Latest", "Categories", "Archive"]
    page.close()


def _reached(folder: Path, start: str, clicks: int) -> set[str]:
    """The pages (output-relative paths) reached from `start` in at most `clicks` clicks."""
    seen, frontier = {start}, {start}
    for _ in range(clicks):
        found = set()
        for name in frontier:
            for href in html.parse(str(folder / name)).getroot().xpath("//a/@href"):
                target = urldefrag(href).url
                if not target or "://" in target or not target.endswith(".html"):
                    continue
                path = (folder / name).parent.joinpath(target).resolve()
                found.add(path.relative_to(folder.resolve()).as_posix())
        frontier = found - seen
        seen |= found
    return seen


def test_every_item_category_and_month_is_two_clicks_from_home(project: Path) -> None:
    _build(project)
    feeds = project / "feeds"
    reached = _reached(feeds, "index.html", 2)
    pages = set(_pages(feeds))
    assert pages <= reached, pages - reached  # every category page and every month
    anchored = {i for name in reached for i in _ids_in(feeds / name) if i.startswith("item-")}
    assert len(anchored) == 50  # every item is on a page two clicks away


def test_the_home_page_shows_as_many_items_as_configured(project: Path) -> None:
    _set(project, 'language = "en"', 'language = "en"\nhome_items = 4')
    _build(project)
    home = html.parse(str(project / "feeds" / "index.html")).getroot()
    newest = [e.title for e in feedparser.parse(project / "feeds" / "all.atom").entries[:4]]
    assert [h.text_content() for h in home.xpath("//ol[@class='entries']/li/h2")] == newest


def test_headings_never_skip_a_level(project: Path) -> None:
    _build(project)
    feeds = project / "feeds"
    for name in _pages(feeds):
        levels = [int(h.tag[1]) for h in html.parse(str(feeds / name)).getroot().iter(
            "h1", "h2", "h3", "h4", "h5", "h6")]
        assert levels[0] == 1 and levels.count(1) == 1, name
        assert all(b <= a + 1 for a, b in itertools.pairwise(levels)), (name, levels)


def test_the_first_issue_puts_the_newsletter_in_every_pages_navigation(
        project: Path, cli: Callable[..., Result]) -> None:
    assert cli("build").exit_code == 0
    feeds = project / "feeds"

    def newsletter_links() -> dict[str, list[str]]:
        return {name: html.parse(str(feeds / name)).getroot().xpath(
            "//nav[@aria-label='Site']//a[text()='Newsletter']/@href") for name in _pages(feeds)
            if not name.startswith("digest/")}

    assert not any(newsletter_links().values())  # no issue yet: nothing to lead to
    assert cli("digest", "--now", "2023-12-01T08:00").exit_code == 0
    assert cli("build").exit_code == 0  # no new item: the pages change all the same
    links = newsletter_links()
    assert links["index.html"] == ["digest/index.html"]
    assert links["archive/2023-11.html"] == ["../digest/index.html"]
    assert all(len(hrefs) == 1 and (feeds / name).parent.joinpath(hrefs[0]).is_file()
               for name, hrefs in links.items())
    past = html.parse(str(feeds / "digest" / "index.html")).getroot()  # the same way around
    nav = past.xpath("//nav[@aria-label='Site']//a")
    assert [a.text for a in nav] == ["Latest", "Categories", "Archive", "Newsletter"]
    assert all((feeds / "digest").joinpath(urldefrag(a.get("href")).url).is_file() for a in nav)


# Serious and critical are what axe-core counts as barriers (contrast, names, structure);
# "moderate" best practices such as landmarks in the email's web copy are left to the eye.
BARRIERS = ("serious", "critical")
DARK_PAGE = "rgb(20, 26, 33)"  # style.css's --page in dark mode: the scheme did apply


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_page_type_passes_axe_core_in_light_and_dark(
        project: Path, cli: Callable[..., Result], browser: Any, scheme: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    assert cli("build").exit_code == 0
    assert cli("digest", "--now", "2023-12-01T08:00").exit_code == 0
    assert cli("build").exit_code == 0  # the navigation now leads to the newsletter
    feeds, axe = project / "feeds", Axe()
    for name in ("index.html", "news.html", "archive/index.html", "archive/2023-11.html",
                 "digest/index.html", "digest/2023-11.html"):
        page = browser.new_page(viewport={"width": 375, "height": 800}, color_scheme=scheme)
        page.goto((feeds / name).as_uri())
        if not name.startswith("digest/"):
            background = page.evaluate("getComputedStyle(document.body).backgroundColor")
            assert (background == DARK_PAGE) == (scheme == "dark"), (name, background)
        found = axe.run(page).response["violations"]
        page.close()
        assert [(v["id"], [n["target"] for n in v["nodes"]]) for v in found
                if v["impact"] in BARRIERS] == [], name


def test_a_category_is_paged_newest_first_and_fewer_pages_leave_none_behind(
        project: Path) -> None:
    _set(project, 'language = "en"', 'language = "en"\npage_items = 10')
    _build(project)
    feeds = project / "feeds"
    names = ["news.html", "news/2.html", "news/3.html", "news/4.html"]
    assert sorted(p.relative_to(feeds).as_posix() for p in feeds.glob("news/*")) == names[1:]
    titles: list[str] = []
    for at, name in enumerate(names):
        page = html.parse(str(feeds / name)).getroot()
        titles += [h.text_content() for h in page.xpath("//ol[@class='entries']/li/h2")]
        links = {link.get("rel"): (feeds / name).parent.joinpath(link.get("href")).resolve()
                 for link in page.xpath("//head/link[@rel='prev' or @rel='next']")}
        assert links.get("prev") == ((feeds / names[at - 1]).resolve() if at else None)
        assert links.get("next") == ((feeds / names[at + 1]).resolve() if at < 3 else None)
        assert page.xpath("//nav[@aria-label='Site']//a/@href")[0] == ("index.html" if at == 0
                                                                       else "../index.html")
    news = feedparser.parse(feeds / "news.atom").entries
    assert titles == [e.title for e in news] and len(titles) == 36  # each once, in order
    _set(project, "page_items = 10", "page_items = 20")
    written = _build(project)
    assert {"news/3.html", "news/4.html"} <= set(written)  # listed: removed
    assert sorted(p.name for p in (feeds / "news").iterdir()) == ["2.html"]


def test_assets_are_published_as_they_change_and_only_pictures_are_taken(
        project: Path, cli: Callable[..., Result]) -> None:
    assets, feeds = project / "assets", project / "feeds"
    assert cli("build").exit_code == 0
    assert (feeds / "ilo-coop-logo.png").read_bytes() == (assets / "ilo-coop-logo.png").read_bytes()
    (assets / "ilo-coop-logo.png").write_bytes(b"\x89PNG a new logo")
    assert _build(project) != []  # nothing new in the listings, but the logo changed
    assert (feeds / "ilo-coop-logo.png").read_bytes() == b"\x89PNG a new logo"
    (assets / "notes.txt").write_text("not a picture")
    result = cli("build")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert (f"[output] assets: {assets / 'notes.txt'}: expected only pictures (.png, .jpg"
            in result.stderr)
