"""Feeds as readers see them: parsed back with feedparser and lxml, checked against the specs.

The W3C Feed Validation Service cannot be reached from here, so each of its checks that this
output could trip is asserted directly (see FIELD-NOTES: self links, full-URI ids, feed author,
RFC 822 dates, duplicate guids, entries sharing one `updated`).
"""

from __future__ import annotations

import json
import locale
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path

import feedparser
import pytest
from lxml import etree
from lxml import html as lxml_html

from feedsmith.config import SiteConfig, load_config
from feedsmith.entry import Entry
from feedsmith.pipeline import build
from feedsmith.store.engines import open_database
from feedsmith.store.queries import Store
from feedsmith.web.feeds import Feed, render_atom, render_json, render_rss
from tests.fixtures.project import DATA, Result

ATOM = "{http://www.w3.org/2005/Atom}"
BASE = "https://feeds.example.org/ilo-coop/"
RFC822 = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|"
                    r"Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}$")


@pytest.fixture
def feeds(project: Path, cli: Callable[..., Result]) -> Path:
    result = cli("build")
    assert result.exit_code == 0, result.output
    return project / "feeds"


def _golden() -> set[tuple[str, str, date]]:
    return {(e["title"], e["category"], date.fromisoformat(e["date"]))
            for path in (DATA / "golden").glob("*.json")
            for e in json.loads(path.read_text(encoding="utf-8"))}


def test_every_listed_item_appears_once_with_its_category_and_date(feeds: Path) -> None:
    for name in ("all.atom", "all.rss"):
        parsed = feedparser.parse(feeds / name)
        assert not parsed.bozo, parsed.get("bozo_exception")
        seen = [(e.title, e.tags[0].term, date(*e.published_parsed[:3])) for e in parsed.entries]
        assert len(seen) == 50
        assert set(seen) == _golden()


def test_each_category_feed_holds_exactly_its_items(feeds: Path) -> None:
    by_category: dict[str, set[str]] = {}
    for title, category, _ in _golden():
        by_category.setdefault(category, set()).add(title)
    assert (feeds / "spotlight-interviews-with-co-operators.atom").exists()
    index = etree.parse(str(feeds / "feeds.opml"))
    outlines = index.findall(".//outline")
    assert len(outlines) == len(by_category)  # the categories only: each item once
    assert BASE + "all.atom" not in {outline.get("xmlUrl") for outline in outlines}
    for outline in outlines:
        name = outline.get("xmlUrl").removeprefix(BASE)
        for suffix in (".atom", ".rss"):
            parsed = feedparser.parse(feeds / name.replace(".atom", suffix))
            categories = {e.tags[0].term for e in parsed.entries}
            assert len(categories) == 1
            assert {e.title for e in parsed.entries} == by_category[categories.pop()]


def test_atom_feeds_pass_the_validators_checks(feeds: Path) -> None:
    for path in sorted(feeds.glob("*.atom")):
        root = etree.parse(str(path)).getroot()
        assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
        assert root.findtext(f"{ATOM}id").startswith("tag:feeds.example.org,2024:feeds/")
        assert root.findtext(f"{ATOM}author/{ATOM}name") == "ILO Cooperatives Unit (COOP)"
        self_links = root.findall(f"{ATOM}link[@rel='self']")
        assert [link.get("href") for link in self_links] == [BASE + path.name]
        entries = root.findall(f"{ATOM}entry")
        ids = [e.findtext(f"{ATOM}id") for e in entries]
        assert len(set(ids)) == len(ids)
        assert all(re.match(r"^tag:feeds\.example\.org,2024:\d{4}-\d{2}-\d{2}/[0-9a-f]{16}$", i)
                   for i in ids)
        updated = [datetime.fromisoformat(e.findtext(f"{ATOM}updated")) for e in entries]
        assert len(set(updated)) == len(updated), "two entries share one <updated>"
        assert datetime.fromisoformat(root.findtext(f"{ATOM}updated")) == max(updated)
        published = [datetime.fromisoformat(e.findtext(f"{ATOM}published")) for e in entries]
        assert published == sorted(published, reverse=True), "entries must be newest first"
        for entry in entries:
            has_alternate = entry.find(f"{ATOM}link[@rel='alternate']") is not None
            assert has_alternate or entry.findtext(f"{ATOM}content")


def test_rss_feeds_pass_the_validators_checks(feeds: Path) -> None:
    config = load_config(feeds.parent / "config.toml")
    for path in sorted(feeds.glob("*.rss")):
        channel = etree.parse(str(path)).getroot().find("channel")
        page = "" if path.stem == "all" else path.stem + ".html"
        assert channel.findtext("link") == config.site.base_url + page  # the feed as a web page
        self_links = channel.findall(f"{ATOM}link[@rel='self']")
        assert [link.get("href") for link in self_links] == [BASE + path.name]
        assert channel.findtext("description")
        items = channel.findall("item")
        guids = [item.find("guid") for item in items]
        assert all(g.get("isPermaLink") == "false" for g in guids)
        assert len({g.text for g in guids}) == len(guids)
        dates = [item.findtext("pubDate") for item in items]
        assert all(RFC822.match(d) for d in dates), dates
        last_build = channel.findtext("lastBuildDate")
        assert RFC822.match(last_build)
        assert parsedate_to_datetime(last_build) == max(map(parsedate_to_datetime, dates))


def test_date_only_items_keep_their_calendar_day_for_readers_anywhere(feeds: Path) -> None:
    entry = feedparser.parse(feeds / "all.atom").entries[0]
    assert entry.title.startswith("ILO COOP participates in a #CoffeePeople webinar")
    moment = datetime.fromisoformat(entry.published)
    assert moment.utcoffset() == timedelta(hours=1)  # Europe/Zurich in December
    for offset_hours in (-11, 0, 12):
        assert moment.astimezone(timezone(timedelta(hours=offset_hours))).date() == date(2023, 12, 1)


def test_entry_cap_keeps_the_newest(project: Path, cli: Callable[..., Result]) -> None:
    config = project / "config.toml"
    config.write_text(config.read_text().replace("max_entries = 50", "max_entries = 3"))
    assert cli("build").exit_code == 0
    parsed = feedparser.parse(project / "feeds" / "all.atom")
    assert [e.title[:30] for e in parsed.entries] == [
        "ILO COOP participates in a #Co", "ILO offers a clinic on the coo",
        "Engaging with platform coopera"]
    home = etree.parse(str(project / "feeds" / "index.html"), etree.HTMLParser())
    categories = home.findall(".//ul[@class='categories']/li")
    assert len(categories) == 10
    for category in categories:  # each counts what its feed carries: at most 3
        feed = category.find("a").get("href").replace(".html", ".atom")
        carried = len(feedparser.parse(project / "feeds" / feed).entries)
        assert category.findtext("span") == f"{carried} item{'' if carried == 1 else 's'}"
        assert 1 <= carried <= 3
    archive = etree.parse(str(project / "feeds" / "archive" / "index.html"), etree.HTMLParser())
    months = {a.text: a.getnext().text for a in archive.findall(".//ul[@class='months']/li/a")}
    assert sum(map(int, months.values())) == 50  # the archive keeps every item
    assert months["November 2023"] == "9"


def test_summary_less_items_are_valid_in_both_formats(feeds: Path) -> None:
    atom = {e.title: e for e in feedparser.parse(feeds / "all.atom").entries}
    rss = {e.title: e for e in feedparser.parse(feeds / "all.rss").entries}
    title = "The story of a friendship: Juan Somavia and Ivano Barberini"
    assert atom[title].content[0].value == title  # Atom needs content when there is no link
    assert "summary" not in rss[title]  # RSS says nothing rather than repeat the title


def _compile_french_locale(into: Path) -> bool:
    if not shutil.which("localedef"):
        return False
    target = into / "fr_FR.UTF-8"
    subprocess.run(["localedef", "-i", "fr_FR", "-f", "UTF-8", str(target)],
                   check=False, capture_output=True)
    return target.is_dir()


def test_rss_dates_are_english_whatever_the_process_locale(
        project: Path, tmp_path_factory: pytest.TempPathFactory,
        monkeypatch: pytest.MonkeyPatch) -> None:
    locales = tmp_path_factory.mktemp("locales")
    if not _compile_french_locale(locales):
        pytest.skip("localedef or the fr_FR locale source is not installed")
    monkeypatch.setenv("LOCPATH", str(locales))
    config = load_config(project / "config.toml")
    build(config, datetime(2026, 11, 23, tzinfo=UTC))
    with open_database(config.store) as database:
        feed = Feed(*Store(database).newest(config.site.timezone, 50)[0])
    previous = locale.setlocale(locale.LC_ALL)
    try:
        locale.setlocale(locale.LC_ALL, "fr_FR.UTF-8")
        assert datetime(2023, 12, 1).strftime("%a %b") == "ven. déc."  # the locale is live
        rss = render_rss(feed, config.site, False).decode()
        assert locale.setlocale(locale.LC_ALL) != "C"  # and was restored afterwards
    finally:
        locale.setlocale(locale.LC_ALL, previous)
        os.environ.pop("LOCPATH", None)
    assert "<pubDate>Fri, 01 Dec 2023 12:00:00 +0100</pubDate>" in rss


def test_build_is_a_library_call_too(project: Path) -> None:
    report = build(load_config(project / "config.toml"), datetime(2026, 11, 23, tzinfo=UTC))
    assert (report.merge.new, report.stored, report.files_read) == (50, 50, 5)
    assert sorted(report.written)[:3] == ["all.atom", "all.json", "all.rss"]
    assert "archive/2023-11.html" in report.written


@pytest.mark.parametrize("summary", ["Coops & SMEs", "the &notion of &copy; and &#60;",
                                     "Write &lt;b&gt; for <b>", "AT&T", "a &"])
def test_an_rss_summary_reads_as_its_own_text(site: SiteConfig, summary: str) -> None:
    """RSS readers and browsers read a description as HTML: the text arrives as written, and a
    lone "&" is not doubled into "&amp;" for someone opening the feed in a browser."""
    moment = datetime(2023, 11, 14, 12, tzinfo=UTC)
    entry = Entry(id="tag:example.org,2024:x", title="T", category="News", published=moment,
                  updated=moment, summary=summary, link="https://news.example.org/x")
    document = render_rss(Feed("all", None, (entry,)), site, False)
    [parsed] = feedparser.parse(document).entries
    shown = lxml_html.fragment_fromstring(parsed.summary, create_parent="div")
    assert shown.text_content() == summary and not shown.getchildren()
    if summary == "Coops & SMEs":
        assert b"Coops &amp; SMEs" in document and b"&amp;amp;" not in document


def _item(language: str, author: str = "") -> Entry:
    moment = datetime(2023, 11, 14, 12, tzinfo=UTC)
    return Entry(id="tag:example.org,2024:x", title="Le café coûte 1 € à Genève", category="News",
                 published=moment, updated=moment, summary="Une coopérative.",
                 link="https://news.example.org/x", language=language, author=author)


def test_a_feed_feedsmith_rewrites_keeps_feedgens_form_but_for_what_it_adds(
        site: SiteConfig) -> None:
    """Marking an entry's language (Atom) or naming a hub (RSS) means parsing feedgen's output
    and writing it again: the result must keep its declaration, stylesheet, UTF-8 text and
    indentation, so that it differs from the plain feed only where something was added."""
    plain = Feed("news", "News", (_item(language=site.language),))
    french = Feed("news", "News", (_item(language="fr"),))
    atom = render_atom(french, site, False)
    assert atom.replace(b' xml:lang="fr"', b"", 1) == render_atom(plain, site, False)
    assert b"<entry xml:lang=\"fr\">" in atom and "1 € à Genève".encode() in atom
    hub = "https://hub.example.org/"
    rss = render_rss(plain, site._replace(hub=hub), False)
    added = f'    <atom:link href="{hub}" rel="hub"/>\n'.encode()
    assert added in rss
    assert rss.replace(added, b"", 1) == render_rss(plain, site, False)


def test_the_feed_author_and_logo_read_as_the_sites(site: SiteConfig) -> None:
    site = site._replace(author_email="desk@example.org", logo="https://example.org/logo.png")
    feed = Feed("news", "News", (_item(author="Simel Esim", language="fr"),))
    atom = feedparser.parse(render_atom(feed, site, False)).feed
    assert (atom.author_detail.name, atom.author_detail.email) == ("Test Desk", "desk@example.org")
    rss = feedparser.parse(render_rss(feed, site, False)).feed
    assert rss.image.href == "https://example.org/logo.png"
    assert (rss.image.title, rss.image.link) == (rss.title, rss.link)  # as the validator asks
    assert (rss.title, rss.link) == ("Test site: News", "https://feeds.example.org/news.html")
    [item] = json.loads(render_json(feed, site, False))["items"]
    assert (item["authors"], item["language"]) == ([{"name": "Simel Esim"}], "fr")
