"""A new user's first hour: `feedsmith init` writes a config for a listing, `feedsmith check`
shows what the sources give; neither touches a store or an output folder."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import feedparser
import pytest

from feedsmith.config import load_config
from tests.fixtures.http import Site
from tests.fixtures.project import DATA, REPO, Result


def test_check_shows_each_sources_items_and_touches_nothing(
        project: Path, cli: Callable[..., Result]) -> None:
    result = cli("check", "--items", "2")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"Config {project / 'config.toml'}: OK."
    assert "Source 'ilo-coop': 50 item(s), 0 warning(s), 0 failure(s)." in lines
    header = lines.index("Source 'ilo-coop': 50 item(s), 0 warning(s), 0 failure(s).") + 1
    assert lines[header].split() == ["DATE", "CATEGORY", "TITLE", "LINK"]
    assert lines[header + 1].split()[:3] == ["2023-12-01", "News", "ILO"]
    assert len([line for line in lines if line.startswith("  20")]) == 2
    assert not (project / "feedsmith.db").exists() and not (project / "feeds").exists()


def test_check_reports_warnings_and_a_failing_source(project: Path, cli: Callable[..., Result],
                                                     web: Site) -> None:
    (project / "listings" / "000_254e8c6e76770959.txt").write_text(
        "  1. News\n\n    An undated item\n", encoding="utf-8")
    config = project / "config.toml"
    config.write_text(config.read_text().replace(
        "[output]", f'[[sources]]\nname = "gone"\nurl = "{web.base}/x"\n\n[output]'))
    result = cli("check")
    assert result.exit_code == 1
    assert "no listing item found" in result.stdout  # the emptied file fails as a whole
    assert f"error: source 'gone': {web.base}/x: HTTP 404 Not Found" in result.stdout
    assert not (project / "feedsmith.db").exists()


def test_init_writes_a_config_that_loads_checks_and_builds(tmp_path: Path,
                                                            cli: Callable[..., Result]) -> None:
    listing = DATA / "listings" / "french.txt"
    config = tmp_path / "new" / "config.toml"
    config.parent.mkdir()
    result = cli("init", str(listing), config=config)
    assert result.exit_code == 0, result.output
    assert "text, dates in 'fr', 2 item(s)" in result.stdout
    loaded = load_config(config)
    assert loaded.sources[0].language == "fr" and loaded.sources[0].format == "text"
    assert Path(loaded.sources[0].paths[0]) == listing.resolve()
    checked = cli("check", config=config)
    assert checked.exit_code == 0
    assert "warning: [site] base_url is still the placeholder" in checked.stderr
    assert "warning: [site] id_authority is still the placeholder" in checked.stderr
    assert cli("build", config=config).exit_code == 0
    titles = [e.title for e in feedparser.parse(config.parent / "feeds" / "all.atom").entries]
    assert len(titles) == 2
    config.write_text(config.read_text()
                      .replace("https://feeds.example.org/", "https://news.coop.test/feeds/")
                      .replace('id_authority = "example.org,', 'id_authority = "coop.test,'))
    assert "placeholder" not in cli("check", config=config).stderr


def test_init_proposes_selectors_for_an_html_page(tmp_path: Path, cli: Callable[..., Result],
                                                  web: Site) -> None:
    web.route("/fr/actualites", (DATA / "web" / "plain-markup.html").read_bytes())
    config = tmp_path / "new" / "config.toml"
    config.parent.mkdir()
    result = cli("init", f"{web.base}/fr/actualites", config=config)
    assert result.exit_code == 0, result.output
    assert ("read with CSS selectors item = 'div.row', title = 'a.headline', "
            "date = 'span.when'") in result.stdout
    assert f"{web.base}/fr/articles/cafe-coop.html" in result.stdout  # links made absolute
    source = load_config(config).sources[0]
    assert (source.url, source.language) == (f"{web.base}/fr/actualites", "fr")
    assert cli("build", config=config).exit_code == 0
    entries = feedparser.parse(config.parent / "feeds" / "all.atom").entries
    assert [e.title for e in entries] == ["Les coopératives du café & la sécurité au travail",
                                          "Sensibilisation au modèle coopératif au Laos"]


def test_an_ilo_page_needs_no_selectors(tmp_path: Path, cli: Callable[..., Result],
                                        web: Site) -> None:
    web.route("/news", (DATA / "web" / "ilo-page1.html").read_bytes())
    config = tmp_path / "new.toml"
    result = cli("init", f"{web.base}/news", config=config)
    assert result.exit_code == 0 and "selectors" not in result.stdout
    assert "html, dates in 'en', 2 item(s)" in result.stdout


def test_init_never_overwrites_a_config(project: Path, cli: Callable[..., Result]) -> None:
    config = project / "config.toml"
    before = config.read_bytes()
    result = cli("init", str(REPO / "listings" / "000_254e8c6e76770959.txt"))
    assert result.exit_code == 1
    assert "already exists; `feedsmith init` never overwrites a config" in result.stderr
    assert config.read_bytes() == before


LAYOUTS = ["dash_blocks", "date_then_summary", "label_date_summary", "month_headers_credits",
           "copied_without_blank_lines", "grouped_with_credits", "readme_example"]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_each_text_layout_goes_through_init_check_and_build(
        tmp_path: Path, cli: Callable[..., Result], layout: str) -> None:
    """As a new user runs them: `init` on a page of another layout, `check`, then `build`;
    the feed shows each item with its title, date and category."""
    listing = DATA / "listings" / f"{layout}.txt"
    expected = json.loads(listing.with_suffix(".json").read_text(encoding="utf-8"))
    config = tmp_path / "new" / "config.toml"
    config.parent.mkdir()
    result = cli("init", str(listing), config=config)
    assert result.exit_code == 0, result.output
    language = expected.get("language", "en")
    assert f"text, dates in '{language}', {len(expected['entries'])} item(s)" in result.stdout
    checked = cli("check", config=config)
    assert checked.exit_code == 0, checked.output
    made = [want for want in expected["entries"] if want.get("derived")]
    assert checked.stdout.count("title: made from the summary") == len(made)
    assert cli("build", config=config).exit_code == 0
    fallback = load_config(config).sources[0].category
    entries = feedparser.parse(config.parent / "feeds" / "all.atom").entries
    assert [(e.title, e.published[:10], e.tags[0].term) for e in entries] == [
        (want["title"], want["date"], want["category"] or fallback)
        for want in expected["entries"]]


def test_init_on_a_feed_keeps_its_categories(tmp_path: Path, cli: Callable[..., Result],
                                             web: Site) -> None:
    """The config `init` writes for a feed names its fallback as such: the feed's own
    categories stay, and only an entry without one takes it."""
    feed = ("<?xml version='1.0'?><rss version='2.0'><channel><title>Partner</title>"
            "<link>https://partner.test/</link><description>d</description>"
            "<item><title>A</title><link>https://partner.test/a</link><category>Events"
            "</category><pubDate>Tue, 05 Dec 2023 10:00:00 GMT</pubDate></item>"
            "<item><title>B</title><link>https://partner.test/b</link>"
            "<pubDate>Mon, 04 Dec 2023 10:00:00 GMT</pubDate></item></channel></rss>")
    web.route("/feed.rss", feed.encode(), content_type="application/rss+xml")
    config = tmp_path / "new" / "config.toml"
    config.parent.mkdir()
    assert cli("init", f"{web.base}/feed.rss", config=config).exit_code == 0
    assert 'fallback_category = "News"' in config.read_text()
    assert cli("build", config=config).exit_code == 0
    entries = feedparser.parse(config.parent / "feeds" / "all.atom").entries
    assert [(e.title, e.tags[0].term) for e in entries] == [("A", "Events"), ("B", "News")]
    both = config.read_text().replace('fallback_category = "News"',
                                      'fallback_category = "News"\ncategory = "Partners"')
    config.write_text(both)
    refused = cli("check", config=config)
    assert refused.exit_code == 1 and "not both" in refused.stderr


def test_init_reads_a_page_of_cards(tmp_path: Path, cli: Callable[..., Result],
                                    web: Site) -> None:
    """Cards as news sites write them: the image's link before the heading's, a badge, a
    <time datetime>, a teaser; class names such as `md:flex`, `w-1/2` and `#1` on the way."""
    web.route("/news", (DATA / "web" / "cards.html").read_bytes())
    config = tmp_path / "new" / "config.toml"
    config.parent.mkdir()
    result = cli("init", f"{web.base}/news", config=config)
    assert result.exit_code == 0, result.output
    selectors = dict(load_config(config).sources[0].selectors)
    assert selectors == {"item": "article.card", "title": "h3.card__title a", "date": "time",
                         "category": "a.badge", "summary": "p.card__teaser",
                         "image": "img"}
    checked = cli("check", config=config)
    assert checked.exit_code == 0 and "summary: Delegates from forty countries" in checked.stdout
    assert f"image: {web.base}/img/cooperative-week.jpg" in checked.stdout
    assert cli("build", config=config).exit_code == 0
    entries = feedparser.parse(config.parent / "feeds" / "all.atom").entries
    assert [(e.title, e.tags[0].term, e.link, e.published[:10]) for e in entries] == [
        ("Cooperative Week gathers 400 members in Geneva", "Event report",
         f"{web.base}/news/cooperative-week", "2024-03-12"),
        ("ILO and ICA agree on cooperative statistics", "News",
         f"{web.base}/news/ilo-ica-statistics", "2024-03-05"),
        ("Women’s cooperatives lead the recovery in Nepal", "Feature",
         f"{web.base}/news/women-nepal", "2024-02-27"),
        ("Platform cooperatives: a fairer digital economy?", "News",
         f"{web.base}/news/platform-coops", "2024-02-20"),
    ]
    assert entries[0].summary.startswith("Delegates from forty countries")


def test_init_writes_hints_for_what_the_cards_do_not_show(
        tmp_path: Path, cli: Callable[..., Result], web: Site) -> None:
    page = (DATA / "web" / "cards.html").read_text(encoding="utf-8")
    for pattern in (r'<a class="badge[^>]*>[^<]*</a>', r'<p class="card__teaser">[^<]*</p>',
                    r"<img [^>]*>"):
        page = re.sub(pattern, "", page)
    web.route("/news", page.encode())
    config = tmp_path / "new" / "config.toml"
    config.parent.mkdir()
    assert cli("init", f"{web.base}/news", config=config).exit_code == 0
    written = config.read_text(encoding="utf-8")
    for key in ("category", "summary", "image"):
        assert re.search(rf"^# {key} = \S+  # not found: ", written, re.MULTILINE), key
    assert dict(load_config(config).sources[0].selectors).keys() == {"item", "title", "date"}


@pytest.mark.parametrize(("body", "content_type", "says"), [
    (b"", "text/html", "not an HTML page with any content"),
    (b"<html><body><p>Welcome</p><a href='/a'>About</a></body></html>", "text/html",
     "no news items found: neither numbered items nor repeated blocks each holding a date"),
])
def test_init_on_a_page_without_items_says_why(tmp_path: Path, cli: Callable[..., Result],
                                               web: Site, body: bytes, content_type: str,
                                               says: str) -> None:
    web.route("/news", body, content_type=content_type)
    config = tmp_path / "new" / "config.toml"
    config.parent.mkdir()
    result = cli("init", f"{web.base}/news", config=config)
    assert result.exit_code == 1 and says in result.stderr
    assert "Traceback" not in result.output and "configured selectors" not in result.output
    assert not config.exists()


def test_init_decodes_the_page_as_the_reader_does_and_writes_valid_toml(
        tmp_path: Path, cli: Callable[..., Result], web: Site) -> None:
    """A UTF-8 page without <meta charset> is not Latin-1; a control character or a quote in
    its title does not break the config."""
    page = (DATA / "web" / "cards.html").read_text(encoding="utf-8").replace(
        '<meta charset="utf-8"><title>Cooperatives – news</title>',
        '<title>Coopératives \x07"news" \\ all</title>')
    web.route("/news", page.encode("utf-8"), content_type="text/html")
    config = tmp_path / "new" / "config.toml"
    config.parent.mkdir()
    assert cli("init", f"{web.base}/news", config=config).exit_code == 0
    assert load_config(config).site.title == 'Coopératives "news" \\ all'
    assert cli("check", config=config).exit_code == 0
