"""Nothing read is merged by mistake: feed items keep the ids their feeds give them, anchors of
one page are different items while noise on a link is not, and feedsmith's own feeds read back
as sources give every entry back."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import feedparser
import pytest

from feedsmith.config import SourceConfig, load_config
from feedsmith.identity import permalink
from feedsmith.sources.harvest import read_sources
from tests.fixtures.http import Site
from tests.fixtures.project import Result, query

BOTH_ENGINES = True  # each test of a project runs on SQLite and on PostgreSQL (conftest)

FORMATS = ["atom", "rss", "json"]


def _published(project: Path) -> dict[str, tuple[str, ...]]:
    """The example's entries as its store holds them: id -> title, day, category, summary and
    the URL a reader clicks (its link, else its permalink)."""
    base = load_config(project / "config.toml").site.base_url
    rows = query(project, "SELECT id, title, day, category, summary, link FROM entries")
    return {row[0]: (row[1], row[2], row[3], row[4], row[5] or base + permalink(row[0], row[2]))
            for row in rows}


def _read_back(project: Path, feed: Path) -> list[tuple[str, ...]]:
    """The entries feedsmith reads from one of its own feeds, as `_published` shows them."""
    site = load_config(project / "config.toml").site
    harvest = read_sources((SourceConfig(name="own", paths=(str(feed),)),), site)
    assert not harvest.failures and not harvest.problems, (harvest.failures, harvest.problems)
    return [(e.title, e.day.isoformat(), e.category, e.summary, e.link) for e in harvest.entries]


@pytest.mark.parametrize("kind", FORMATS)
def test_feedsmiths_own_feeds_read_back_whole(project: Path, cli: Callable[..., Result],
                                               kind: str) -> None:
    assert cli("build").exit_code == 0
    published = _published(project)
    assert len(published) == 50
    feeds = sorted((project / "feeds").glob(f"*.{kind}"))
    assert len(feeds) > 10  # the feed of everything and one per category
    for feed in feeds:
        read = _read_back(project, feed)
        if feed.stem == "all":
            assert sorted(read) == sorted(published.values())
        else:  # a category's feed: its entries, whole
            category = {entry[2] for entry in read}
            assert len(category) == 1, feed
            assert sorted(read) == sorted(e for e in published.values() if e[2] in category)


@pytest.mark.parametrize("kind", FORMATS)
def test_a_project_reading_feedsmiths_feed_of_everything_stores_every_entry(
        project: Path, cli: Callable[..., Result], cli_in: Callable[..., Result], tmp_path: Path,
        kind: str) -> None:
    assert cli("build").exit_code == 0
    reader = tmp_path / "reader"
    reader.mkdir()
    (reader / "config.toml").write_text(
        '[site]\ntitle = "Reader"\nlink = "https://r.example.org/"\n'
        'base_url = "https://r.example.org/"\nid_authority = "r.example.org,2024"\n'
        'timezone = "Europe/Zurich"\n\n'
        f'[[sources]]\nname = "ilo"\npaths = ["{project}/feeds/all.{kind}"]\n')
    result = cli_in(reader, "build")
    assert result.exit_code == 0, result.output
    assert "Entries: 50 new" in result.stdout and "0 warning(s)" in result.stdout
    atom = feedparser.parse(reader / "feeds" / "all.atom")
    assert len({entry.id for entry in atom.entries}) == 50
    assert sorted(e.title for e in atom.entries) == \
        sorted(entry[0] for entry in _published(project).values())
    again = cli_in(reader, "build")  # read again: the same 50, nothing new
    assert "Entries: 0 new, 0 updated, 50 in the store" in again.stdout


def _anchored_feed(items: list[tuple[str, str, str]]) -> bytes:
    """An RSS feed whose items are (guid, link, title), all dated 14 November 2023."""
    body = "".join(
        f"<item><title>{title}</title><link>{link}</link>"
        + (f'<guid isPermaLink="false">{guid}</guid>' if guid else "")
        + "<pubDate>Tue, 14 Nov 2023 10:00:00 +0000</pubDate></item>"
        for guid, link, title in items)
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>{body}'
            "</channel></rss>").encode()


def _use_source(project: Path, setting: str) -> None:
    config = project / "config.toml"
    config.write_text(config.read_text().replace('paths = ["listings/*.txt"]', setting))


def test_feed_items_that_share_a_link_keep_their_own_ids(
        project: Path, cli: Callable[..., Result], web: Site) -> None:
    web.route("/feed", _anchored_feed([("a", f"{web.base}/page", "First"),
                                       ("b", f"{web.base}/page", "Second"),
                                       ("c", f"{web.base}/page#comments", "Third")]),
              content_type="application/rss+xml")
    _use_source(project, f'url = "{web.base}/feed"')
    result = cli("build")
    assert "Entries: 3 new" in result.stdout, result.output
    ids = [entry.id for entry in feedparser.parse(project / "feeds" / "all.atom").entries]
    assert len(ids) == len(set(ids)) == 3


@pytest.mark.parametrize(("links", "entries"), [
    (["/page#item-1", "/page#item-2", "/page#item-3"], 3),  # anchors: three items
    (["/page?utm_source=x", "/page#comments", "/page"], 1),  # noise: one item, listed thrice
])
def test_anchors_are_items_and_noise_is_not(project: Path, cli: Callable[..., Result], web: Site,
                                            links: list[str], entries: int) -> None:
    web.route("/feed", _anchored_feed([("", f"{web.base}{link}", "One title")
                                       for link in links]),
              content_type="application/rss+xml")
    _use_source(project, f'url = "{web.base}/feed"')
    result = cli("build")
    assert f"Entries: {entries} new" in result.stdout, result.output
    assert len(query(project, "SELECT id FROM entries")) == entries


def test_two_titles_under_one_id_are_never_merged_in_silence(
        project: Path, cli: Callable[..., Result], web: Site) -> None:
    web.route("/feed", _anchored_feed([("same", f"{web.base}/a", "First title"),
                                       ("same", f"{web.base}/b", "Second title")]),
              content_type="application/rss+xml")
    _use_source(project, f'url = "{web.base}/feed"')
    result = cli("build")
    assert "'Second title' has the same id as 'First title'" in result.stderr


@pytest.mark.sqlite_only
def test_a_store_keeps_the_ids_an_older_feedsmith_gave_its_feed_items(
        project: Path, cli: Callable[..., Result], web: Site) -> None:
    """feedsmith 0.1 made one entry of every item linking to one page; those ids stay, and the
    items it merged by mistake arrive as the new entries they are."""
    web.route("/feed", _anchored_feed([("a", f"{web.base}/page#item-1", "First"),
                                       ("b", f"{web.base}/page#item-2", "Second")]),
              content_type="application/rss+xml")
    _use_source(project, f'url = "{web.base}/feed"')
    assert "Entries: 2 new" in cli("build").stdout
    # Make the store as 0.1 left it: one entry, under the id of the link cut at "#".
    old_id = "tag:feeds.example.org,2024:link/" + hashlib.sha256(
        f"{web.base}/page".encode()).hexdigest()[:16]
    with sqlite3.connect(project / "feedsmith.db") as db:
        first = db.execute("SELECT id FROM entries WHERE title = 'First'").fetchone()[0]
        db.execute("DELETE FROM entries WHERE title = 'Second'")
        db.execute("UPDATE entries SET id = ? WHERE id = ?", (old_id, first))
        db.execute("DELETE FROM listing_files")
        db.execute("DELETE FROM http_validators")
    result = cli("build")
    assert "Entries: 1 new, 0 updated" in result.stdout, result.output
    rows = dict(query(project, "SELECT title, id FROM entries"))
    assert len(rows) == 2
    assert rows["First"] == old_id  # readers keep the id they had
    assert rows["Second"] != old_id


def test_a_json_feed_is_read_as_a_source(project: Path, cli: Callable[..., Result],
                                         web: Site) -> None:
    document = {"version": "https://jsonfeed.org/version/1", "title": "x", "items": [
        {"id": 1, "url": f"{web.base}/page#one", "title": "One",
         "content_html": "<p>Text <script>alert(1)</script>one</p>",
         "date_published": "2023-11-14T23:30:00-05:00", "tags": ["Events"]},
        {"id": "2", "title": "Two", "date_published": "not a date"},
    ]}
    web.route("/feed.json", json.dumps(document).encode(), content_type="application/feed+json")
    _use_source(project, f'url = "{web.base}/feed.json"')
    config = project / "config.toml"  # the feed's own categories, not the example's "News"
    config.write_text(config.read_text().replace('category = "News"', ""))
    result = cli("build")
    assert "Entries: 1 new" in result.stdout, result.output
    assert "/feed.json item 2: has no date (RFC 3339) in date_published; left out" in result.stderr
    [entry] = feedparser.parse(project / "feeds" / "all.atom").entries
    assert (entry.title, entry.link, entry.tags[0].term) == ("One", f"{web.base}/page#one",
                                                             "Events")
    assert entry.published.startswith("2023-11-15")  # its day in the site's zone (Zurich)
    assert "alert" not in entry.content[0].value


def test_an_html_listing_whose_items_link_to_anchors_of_one_page_keeps_them_all(
        project: Path, cli: Callable[..., Result], web: Site) -> None:
    items = "".join(f'<li><a href="/news.html#item-{n}">Story {n}</a>'
                    f'<span class="d">{10 + n} November 2023</span></li>' for n in range(1, 6))
    web.route("/news.html", f"<html><body><ol>{items}</ol></body></html>".encode())
    _use_source(project, f'url = "{web.base}/news.html"')
    config = project / "config.toml"
    config.write_text(config.read_text().replace(
        "[output]", '[sources.selectors]\nitem = "li"\ntitle = "a"\ndate = ".d"\n\n[output]', 1))
    result = cli("build")
    assert "Entries: 5 new" in result.stdout, result.output
    links = sorted(e.link for e in feedparser.parse(project / "feeds" / "all.atom").entries)
    assert links == [f"{web.base}/news.html#item-{n}" for n in range(1, 6)]
