"""The newsletter an operator would send: stories that open, a masthead and footer from config, an
editorial, pictures from the sources, a list that can be left, a preview before anything is
recorded; each issue read back with the stdlib `email` package and shown in headless Chromium."""

from __future__ import annotations

import email
import re
import shutil
import struct
import zlib
from collections.abc import Callable
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import feedparser
import jsonfeed
import pytest
from lxml import html as lxml_html

from feedsmith.sources.feed import read_feed
from tests.fixtures.http import Site
from tests.fixtures.project import DATA, Result, query
from tests.fixtures.smtp import Inbox, set_smtp

BOTH_ENGINES = True  # each test of a project runs on SQLite and on PostgreSQL (conftest)

NOW = "2023-12-01T09:00"
A, B = "enews@lists.example.org", "editor@example.org"
BASE = "https://feeds.example.org/ilo-coop/"
PICTURES = {"item": "div.views-row", "title": "h3 a", "date": "time",
            "category": ".teaser__type", "summary": ".teaser__summary", "image": ".teaser__media"}


def _png(width: int, height: int) -> bytes:
    """A real PNG of the given size (grey), for the pages' pictures to load."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + b"\x99" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))


def _eml(project: Path, key: str = "2023-11") -> EmailMessage:
    raw = (project / "feeds" / "digest" / f"{key}.eml").read_bytes()
    message = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def _parts(message: EmailMessage) -> tuple[str, str]:
    html, text = message.get_body(("html",)), message.get_body(("plain",))
    assert html is not None and text is not None
    return html.get_content(), text.get_content()


def _issue(cli: Callable[..., Result], *args: str, key: str = "2023-11", now: str = NOW) -> Result:
    assert cli("build").exit_code in (0, 1)
    result = cli("digest", "--month", key, "--now", now, *args)
    assert result.exit_code == 0, result.output
    return result


def _use_source(project: Path, url: str) -> None:
    """The example project, reading one HTML listing at `url` instead of the text samples."""
    config = project / "config.toml"
    text = config.read_text()
    start, end = text.index("[[sources]]"), text.index("[output]")
    selectors = "".join(f'{key} = "{value}"\n' for key, value in PICTURES.items())
    config.write_text(text[:start] + f'[[sources]]\nname = "pictures"\nurl = "{url}"\n'
                      f"[sources.selectors]\n{selectors}\n" + text[end:])


@pytest.fixture
def pictures(project: Path, web: Site) -> Path:
    page = (DATA / "web" / "with-pictures.html").read_bytes()
    web.route("/listing/news", page)
    for path, size in (("/media/coffee-480.png", (480, 360)),  # 4:3, where the layout is 3:2
                       ("/news/media/audit-480.png", (480, 320)),
                       ("/news/media/audit-240.png", (240, 160))):
        web.route(path, _png(*size), content_type="image/png")
    _use_source(project, f"{web.base}/listing/news")
    return project


# --- the shipped example's November 2023 issue ---------------------------------------------------


def test_the_november_issue_has_open_stories_a_masthead_and_its_editorial(
        project: Path, cli: Callable[..., Result]) -> None:
    _issue(cli)
    html, text = _parts(_eml(project))
    page = lxml_html.fromstring(html)
    assert page.xpath("//h1")[0].text_content() == "ILO COOP eNewsUpdate"
    assert ("Latest news from the ILO on cooperatives and the wider social and solidarity "
            "economy: November 2023") in page.text_content()
    [logo] = [i for i in page.iter("img") if i.get("src", "").endswith("ilo-coop-logo.png")]
    assert logo.get("src") == f"{BASE}ilo-coop-logo.png"  # the example's own, from assets/
    assert (project / "feeds" / "ilo-coop-logo.png").read_bytes() == \
        (project / "assets" / "ilo-coop-logo.png").read_bytes()  # published where it points
    assert logo.get("alt") == "ILO COOP"
    # Where images are blocked, the alt text reads white and bold on the brand colour.
    assert "color:#ffffff" in logo.get("style") and "font-weight:bold" in logo.get("style")
    assert "color:#ffffff" in logo.getparent().get("style")
    assert page.xpath("//h2/text()")[:3] == ["Message from ILO COOP",
                                             "News highlights for November 2023",
                                             "Spotlight Interviews with Co-operators: November 2023"]
    assert "mailto:coop@ilo.org" in page.xpath("//a/@href")
    links = {e.title: e.link for e in feedparser.parse(project / "feeds" / "all.atom").entries}
    for title, link in links.items():
        if "2023-11" in link:  # the nine stories of the issue, each a door twice
            opening = [a for a in page.iter("a") if a.get("href") == link]
            texts = [a.text_content().strip() for a in opening]
            assert title in texts and "Read more" in texts, title
            assert f"Read more: {link}" in text.replace("\n", " ")
    buttons = [a for a in page.iter("a") if a.text_content().strip() == "Read more"
               and "background" in (a.get("style") or "") + (a.getparent().get("style") or "")]
    assert len(buttons) == 1  # the lead story's button
    # The editorial as plain text: no Markdown marks, links as their text and address.
    text = text.replace("\r\n", "\n")
    assert "\nMessage from ILO COOP\n" in text and "## " not in text and "**" not in text
    flowing = " ".join(text.split())
    assert "and our latest Spotlight Interview with Co-operators." in flowing
    assert ("write to coop@ilo.org, or read more about our work on the ILO cooperatives page "
            "(https://www.ilo.org/topics/cooperatives).") in flowing
    [editorial] = [block for block in text.split("\n\n")
                   if block.startswith("November brought")]
    assert len(editorial.splitlines()) > 3 and max(map(len, editorial.splitlines())) <= 72
    assert "LinkedIn: https://www.linkedin.com/company/ilo-coop" in text
    # As the real eNewsUpdate: no issue number under the masthead, no date before each story.
    body = page.find("body").text_content()
    assert "Issue No." not in body and "Issue No." not in text.split("View online")[0][20:]
    assert not re.search(r"(?m)^\s*\d{1,2} November 2023$", text)  # a story's date line
    assert not re.search(r">\d{1,2} November 2023</span>", html)


def _check_in_browser(browser: Any, html: str, width: int) -> list[dict[str, Any]]:
    """The email HTML at `width`: no sideways scroll, content at most 640 px wide, every picture
    with alt, width and height, every link absolute. Returns the pictures as laid out."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.set_content(html, wait_until="load")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    widest = page.evaluate("Math.max(...[...document.body.querySelectorAll("
                           "'p, h1, h2, h3, img, a, li, blockquote')]"
                           ".map(e => e.getBoundingClientRect().width))")
    assert widest <= 640  # the content column; backgrounds may span the window
    pictures: list[dict[str, Any]] = page.evaluate(
        "[...document.images].map(i => ({alt: i.getAttribute('alt'), width: "
        "i.getAttribute('width'), height: i.getAttribute('height'), src: i.src, shown: "
        "i.getBoundingClientRect().width, shown_height: i.getBoundingClientRect().height, "
        "natural: i.naturalWidth, natural_height: i.naturalHeight}))")
    for picture in pictures:
        assert picture["alt"] and picture["width"] and picture["height"], picture
        assert picture["src"].startswith(("https://", "http://")), picture
        assert picture["shown"] <= width
        if picture["natural"]:  # loaded: shown at its own proportions, never stretched
            ratio = picture["natural_height"] / picture["natural"]
            assert abs(picture["shown_height"] / picture["shown"] - ratio) < 0.02, picture
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))")
    assert hrefs and all(h.startswith(("https://", "http://", "mailto:")) for h in hrefs), hrefs
    page.close()
    return pictures


@pytest.mark.parametrize("width", [375, 600, 1024])
def test_the_issue_fits_every_screen(project: Path, cli: Callable[..., Result], browser: Any,
                                     width: int) -> None:
    _issue(cli)
    html, _ = _parts(_eml(project))
    _check_in_browser(browser, html, width)
    web_page = (project / "feeds" / "digest" / "2023-11.html").read_text(encoding="utf-8")
    _check_in_browser(browser, web_page, width)


# --- pictures ------------------------------------------------------------------------------------


def test_pictures_from_an_html_listing_reach_feeds_pages_and_the_issue(
        pictures: Path, cli: Callable[..., Result], web: Site, browser: Any) -> None:
    result = cli("build")
    assert result.exit_code == 0, result.output
    assert "image 'javascript:alert(1)' is not an http(s) URL" in result.stderr
    coffee, audit = f"{web.base}/media/coffee-480.png", f"{web.base}/news/media/audit-480.png"
    feed = pictures / "feeds"
    by_title = {e.title: e for e in feedparser.parse(feed / "all.atom").entries}
    assert by_title["A cooperative audit training workshop in Jordan"].media_content[0]["url"] \
        == audit  # the widest of the srcset, against <base href>
    rss = {e.title: e for e in feedparser.parse(feed / "all.rss").entries}
    assert rss["Raising awareness on the cooperative model among coffee farmers"] \
        .media_content[0]["url"] == coffee  # data-src, not the placeholder
    items = {i.title: i for i in jsonfeed.Feed.parse_string(
        (feed / "all.json").read_text(encoding="utf-8")).items}
    assert items["A cooperative audit training workshop in Jordan"].image == audit
    assert not items["Platform cooperatives for a fairer digital economy"].image
    home = lxml_html.parse(str(feed / "index.html"))
    assert home.xpath("//img[@src=$src]/@alt", src=coffee) == [
        "Coffee farmers sorting beans at a cooperative in Lao PDR"]
    assert home.xpath("//img[@src=$src]/@alt", src=audit) == [
        "A cooperative audit training workshop in Jordan"]  # no alt given: the title
    _issue(cli)
    html, _ = _parts(_eml(pictures))
    for width in (375, 600):  # the lead (newest) has no usable picture: two thumbnails
        shown = {p["src"]: p for p in _check_in_browser(browser, html, width)
                 if not p["src"].endswith("ilo-coop-logo.png")}
        assert set(shown) == {coffee, audit}
        for picture in shown.values():
            assert picture["natural"] == 480 and 0 < picture["shown"] <= 120  # loaded, scaled
            assert (picture["width"], picture["height"]) == ("120", "80")


def test_the_lead_story_shows_its_picture_large(pictures: Path, cli: Callable[..., Result],
                                                web: Site, browser: Any) -> None:
    config = pictures / "config.toml"
    config.write_text(config.read_text().replace("sections = [", 'lead_category = "News"\n'
                                                 "sections = ["))
    _issue(cli)
    html, _ = _parts(_eml(pictures))
    page = lxml_html.fromstring(html)
    [big] = [i for i in page.iter("img") if i.get("width") == "552"]
    assert big.get("src") == f"{web.base}/news/media/audit-480.png"  # the newest News item
    thumbs = [i.get("src") for i in page.iter("img") if i.get("width") == "120"]
    assert thumbs == [f"{web.base}/media/coffee-480.png"]
    on_phone = {p["src"]: p for p in _check_in_browser(browser, html, 375)}
    assert 300 < on_phone[big.get("src")]["shown"] <= 375 - 2 * 24  # scaled down, not cut


def test_a_feed_source_gives_pictures_in_every_way_feeds_carry_them() -> None:
    feed = b"""<?xml version="1.0"?>
<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel><title>t</title>
<link>https://example.org/</link><description>d</description>
<item><title>Thumbnail</title><link>https://example.org/1</link><pubDate>Fri, 01 Dec 2023 10:00:00 GMT</pubDate>
<media:thumbnail url="https://example.org/thumb.jpg" width="120" height="80"/></item>
<item><title>Content</title><link>https://example.org/2</link><pubDate>Fri, 01 Dec 2023 10:00:00 GMT</pubDate>
<media:content url="https://example.org/video.mp4" medium="video"/>
<media:content url="https://example.org/photo.jpg" medium="image"/></item>
<item><title>Enclosure</title><link>https://example.org/3</link><pubDate>Fri, 01 Dec 2023 10:00:00 GMT</pubDate>
<enclosure url="https://example.org/photo.png" length="100" type="image/png"/></item>
<item><title>Inline</title><link>https://example.org/4</link><pubDate>Fri, 01 Dec 2023 10:00:00 GMT</pubDate>
<description>&lt;p&gt;&lt;img src="/inline.jpg" alt="A field"&gt; Text&lt;/p&gt;</description></item>
<item><title>None</title><link>https://example.org/5</link><pubDate>Fri, 01 Dec 2023 10:00:00 GMT</pubDate></item>
</channel></rss>"""
    from zoneinfo import ZoneInfo

    items, _ = read_feed(feed, "https://example.org/feed.rss", ZoneInfo("UTC"))
    assert [(i.title, i.image, i.image_alt) for i in items] == [
        ("Thumbnail", "https://example.org/thumb.jpg", ""),
        ("Content", "https://example.org/photo.jpg", ""),
        ("Enclosure", "https://example.org/photo.png", ""),
        ("Inline", "https://example.org/inline.jpg", "A field"),
        ("None", "", "")]


def test_a_150_item_issue_with_pictures_stays_under_gmails_clip(
        project: Path, cli: Callable[..., Result], web: Site) -> None:
    rows = "".join(
        f'<div class="views-row"><div class="teaser__media"><img src="/p/{n}.png" alt="Picture '
        f'{n}"></div><span class="teaser__type">Category {n % 5}</span><h3 class="teaser__title">'
        f'<a href="/story/{n}">Cooperative story number {n}: members build a fairer economy</a>'
        f'</h3><time datetime="2024-03-{n % 28 + 1:02d}">x</time><p class="teaser__summary">'
        f'Summary {n}: a cooperative trained its members in governance and decent work.</p></div>'
        for n in range(150))
    web.route("/big", f"<html><body>{rows}</body></html>".encode())
    _use_source(project, f"{web.base}/big")
    _issue(cli, key="2024-03", now="2024-04-02T09:00")
    message = _eml(project, "2024-03")
    html, text = _parts(message)
    assert len(html.encode()) < 102_000
    assert text.count("Read more: ") == 150  # the text part carries every item
    assert "more items online" in html


# --- the editorial -------------------------------------------------------------------------------


def test_an_editorial_is_sanitised(project: Path, cli: Callable[..., Result]) -> None:
    (project / "digest" / "intro" / "2023-11.md").write_text(
        "# Hello\n\n<script>alert(1)</script> **Bold** [bad](javascript:alert(1)) "
        "[relative](/admin) [ok](https://www.ilo.org/) <img src=x onerror=alert(1)>\n\n"
        "<a href='https://evil.example'>raw html</a>\n", encoding="utf-8")
    _issue(cli)
    html, text = _parts(_eml(project))
    page = lxml_html.fromstring(html)
    assert not page.xpath("//script") and not page.xpath("//@onerror")
    hrefs = page.xpath("//a/@href")
    assert not [h for h in hrefs if h.startswith("javascript:")]
    assert "https://www.ilo.org/" in hrefs and "/admin" not in hrefs
    assert "https://evil.example" not in hrefs  # raw HTML is shown as text, never as markup
    assert page.xpath("//h2[text()='Hello']") and page.xpath("//strong[text()='Bold']")
    assert "<script>alert(1)</script>" in text  # raw HTML is text in the text part too
    assert "Hello\r\n" in text and "Bold" in text and "**" not in text
    assert "ok (https://www.ilo.org/)" in text


def test_an_editorial_is_frozen_with_its_issue(project: Path, cli: Callable[..., Result],
                                               inbox: tuple[Inbox, int]) -> None:
    set_smtp(project, inbox[1], [A, B])
    _issue(cli)
    unchanged = cli("digest", "--month", "2023-11", "--now", NOW)  # built without one: no note
    assert unchanged.exit_code == 0 and "changed since" not in unchanged.stderr
    intro = project / "digest" / "intro" / "2023-11.md"
    intro.write_text("## A late change\n\nNot in the issue.\n", encoding="utf-8")
    again = cli("digest", "--month", "2023-11", "--now", NOW)
    assert again.exit_code == 0
    assert f"note: {intro} changed since this issue was built" in again.stderr
    assert "A late change" not in _parts(_eml(project))[0]
    assert _issue(cli, "--rebuild").exit_code == 0
    assert "A late change" in _parts(_eml(project))[0]
    sent = cli("digest", "--month", "2023-11", "--now", NOW, "--send")
    assert sent.exit_code == 0 and len(inbox[0].messages) == 2
    intro.write_text("## Another change\n", encoding="utf-8")
    refused = cli("digest", "--month", "2023-11", "--now", NOW, "--rebuild")
    assert refused.exit_code == 1 and "has been sent" in refused.stderr


# --- sending and previewing ----------------------------------------------------------------------


def test_send_refuses_a_list_without_a_way_out(project: Path, cli: Callable[..., Result],
                                               inbox: tuple[Inbox, int]) -> None:
    set_smtp(project, inbox[1], [A, B])
    config = project / "config.toml"
    text = config.read_text()
    start = text.index("unsubscribe = [")
    config.write_text(text[:start] + text[text.index("\n", start) + 1:])
    assert cli("build").exit_code == 0
    refused = cli("digest", "--month", "2023-11", "--now", NOW, "--send")
    assert refused.exit_code == 1
    assert "[digest] unsubscribe is empty, so the issue is not sent" in refused.stderr
    assert inbox[0].messages == []
    config.write_text(config.read_text().replace('title = "ILO COOP eNewsUpdate"',
                                                 'title = "ILO COOP eNewsUpdate"\n'
                                                 "send_without_unsubscribe = true", 1))
    sent = cli("digest", "--month", "2023-11", "--now", NOW, "--send")
    assert sent.exit_code == 0, sent.output
    assert len(inbox[0].messages) == 2
    assert inbox[0].messages[0][1]["List-Unsubscribe"] is None


def test_dry_run_writes_a_preview_and_records_nothing(project: Path,
                                                      cli: Callable[..., Result]) -> None:
    assert cli("build").exit_code == 0
    result = cli("digest", "--month", "2023-11", "--now", NOW, "--dry-run")
    assert result.exit_code == 0
    line = next(x for x in result.stdout.splitlines() if x.startswith("Preview of the email: "))
    preview = Path(line.removeprefix("Preview of the email: ").split(" (open it")[0])
    try:
        page = lxml_html.parse(str(preview))
        assert page.xpath("//h1")[0].text_content() == "ILO COOP eNewsUpdate"
        assert "Message from ILO COOP" in page.getroot().text_content()
    finally:
        preview.unlink()
    assert query(project, "SELECT COUNT(*) FROM issues") == [(0,)]
    assert not (project / "feeds" / "digest").exists()


def test_without_a_configured_look_an_issue_is_neutral(project: Path,
                                                        cli: Callable[..., Result]) -> None:
    config = project / "config.toml"
    text = config.read_text()
    start, end = text.index("[digest]"), text.index("[digest.smtp]")
    config.write_text(text[:start] + '[digest]\nunsubscribe = ["https://example.org/leave"]\n\n'
                      + text[end:])
    shutil.rmtree(project / "digest", ignore_errors=True)
    _issue(cli)
    message = _eml(project)
    assert message["Subject"] == ("ILO COOP: News, stories and statements on cooperatives "
                                  "newsletter Issue No. 1, November 2023")
    html, _ = _parts(message)
    page = lxml_html.fromstring(html)
    assert not list(page.iter("img")) and "Message from" not in html
    assert page.xpath("//h2/text()")[:2] == ["News", "Spotlight Interviews with Co-operators"]


def test_the_issue_number_and_story_dates_can_be_shown(project: Path,
                                                       cli: Callable[..., Result]) -> None:
    config = project / "config.toml"
    config.write_text(config.read_text().replace("show_number = false", "show_number = true")
                      .replace("show_dates = false", "show_dates = true"))
    _issue(cli)
    html, text = _parts(_eml(project))
    page = lxml_html.fromstring(html)
    assert "Issue No. 1, November 2023" in page.text_content() and "Issue No. 1, November 2023" \
        in text
    # Dates as the site writes them ([site] locale = "en-GB"), in both parts.
    assert re.search(r">30 November 2023</span>", html)
    assert re.search(r"(?m)^\s*30 November 2023$", text.replace("\r\n", "\n"))
    assert not re.search(r"November \d{1,2}, 2023", text + page.text_content())


def test_the_inbox_snippet_ends_with_the_preheader(project: Path,
                                                   cli: Callable[..., Result]) -> None:
    """The hidden preheader is followed by invisible spacers, so a mail client's snippet does
    not run on into the first visible line."""
    _issue(cli)
    html, _ = _parts(_eml(project))
    page = lxml_html.fromstring(html)
    [hidden] = [div for div in page.iter("div") if "display:none" in (div.get("style") or "")]
    text = hidden.text_content()
    assert text.startswith("9 new items in November 2023: ")
    spacers = text[len(text.rstrip("\u034f\u200c\xa0")):]
    assert len(spacers) >= 100 and set(spacers) == {"\u034f", "\u200c", "\xa0"}


@pytest.mark.parametrize(("scheme", "card", "text"), [
    ("light", "rgb(255, 255, 255)", "rgb(30, 42, 56)"),
    ("dark", "rgb(27, 35, 44)", "rgb(228, 233, 239)"),
])
def test_the_email_follows_the_readers_colour_scheme(
        project: Path, cli: Callable[..., Result], browser: Any, scheme: str, card: str,
        text: str) -> None:
    _issue(cli)
    html, _ = _parts(_eml(project))
    assert '<meta name="color-scheme" content="light dark"' in html
    page = browser.new_page(viewport={"width": 375, "height": 900}, color_scheme=scheme)
    page.set_content(html, wait_until="load")
    shown = page.evaluate("(() => { const t = document.querySelector('.fs-card > table');"
                          " const h = document.querySelector('.fs-card h2');"
                          " return [getComputedStyle(t).backgroundColor,"
                          " getComputedStyle(h).color]; })()")
    page.close()
    assert shown == [card, text]


def test_the_examples_logo_is_published_and_loads_from_base_url(
        project: Path, cli: Callable[..., Result], browser: Any) -> None:
    """base_url's host is the example's, so the browser is given the output folder for it."""
    _issue(cli)
    feeds = project / "feeds"
    page = browser.new_page(viewport={"width": 600, "height": 900})
    page.route(f"{BASE}**", lambda route: route.fulfill(
        path=str(feeds / route.request.url.removeprefix(BASE).split("#")[0])))
    page.goto(f"{BASE}digest/2023-11.html")
    logo = page.evaluate("(() => { const i = [...document.images].find(i => "
                         "i.src.endsWith('ilo-coop-logo.png')); return [i.naturalWidth, "
                         "i.naturalHeight, i.alt, i.getBoundingClientRect().width]; })()")
    page.close()
    assert logo == [440, 120, "ILO COOP", 220]  # loaded, at half its size (sharp on 2x screens)
