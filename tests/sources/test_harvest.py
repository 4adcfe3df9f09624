"""Input that would have spoiled feeds: categories that collide, fields too big to publish."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import feedparser

from feedsmith.identity import category_slug
from feedsmith.store.engines import open_database
from feedsmith.store.queries import Store
from tests.fixtures.project import Result

LONG = "Cooperatives and the social and solidarity economy in the world of work: a long name "


def _listing(categories: list[str]) -> str:
    items = [f"  {n}. {category}\n\n    Item {n} in its category\n\n    0{n % 9 + 1} May 2024\n"
             for n, category in enumerate(categories, start=1)]
    return "News\n\n" + "\n".join(items)


def _feeds(project: Path) -> dict[str, str]:
    """Feed file stem -> the category its entries carry."""
    found = {}
    for path in sorted((project / "feeds").glob("*.atom")):
        parsed = feedparser.parse(path)
        if path.stem != "all" and parsed.entries:
            found[path.stem] = parsed.entries[0].tags[0].term
    return found


def _build(project: Path, cli: Callable[..., Result], categories: list[str]) -> Result:
    for old in (project / "listings").glob("*.txt"):
        old.unlink()
    (project / "listings" / "cats.txt").write_text(_listing(categories), encoding="utf-8")
    return cli("build")


CATEGORIES = ["🚀", "🎉", "C++", "C#", "C", LONG + "first", LONG + "second", "Новости",
              "Новини"]


def test_categories_that_differ_beyond_punctuation_get_their_own_feeds(
        project: Path, cli: Callable[..., Result]) -> None:
    result = _build(project, cli, CATEGORIES)
    assert result.exit_code == 0, result.output
    feeds = _feeds(project)
    assert sorted(feeds.values()) == sorted(set(CATEGORIES) - {"C#", "C"} | {feeds["c"]})
    assert len(feeds) == len(CATEGORIES) - 1  # only "C#" and "C" share one
    assert "categories 'C' and 'C#' differ only in case, accents or punctuation, so they " \
           "share one feed (c)" in result.stderr


def test_feed_file_names_do_not_depend_on_the_order_items_arrive_in(
        project: Path, cli: Callable[..., Result]) -> None:
    assert _build(project, cli, CATEGORIES).exit_code == 0
    forward = set(_feeds(project))
    (project / "feedsmith.db").unlink()
    for leftover in project.glob("feedsmith.db-*"):
        leftover.unlink()
    shutil.rmtree(project / "feeds")
    assert _build(project, cli, CATEGORIES[::-1]).exit_code == 0
    assert set(_feeds(project)) == forward


def test_a_store_from_before_is_re_slugged_and_its_feeds_rewritten(
        project: Path, cli: Callable[..., Result]) -> None:
    assert _build(project, cli, ["C++", "News"]).exit_code == 0
    store = project / "feedsmith.db"
    with sqlite3.connect(store) as db:  # as schema 4 left it: "C++" filed under "c"
        db.execute("UPDATE entries SET category_slug = 'c' WHERE category = 'C++'")
        for later in ("DROP TABLE pending_months", "DROP TABLE month_counts",
                      "ALTER TABLE entries DROP COLUMN image",
                      "ALTER TABLE entries DROP COLUMN image_alt",
                      "ALTER TABLE issues DROP COLUMN intro",
                      "ALTER TABLE entries DROP COLUMN added_in",
                      "ALTER TABLE entries DROP COLUMN seen_in",
                      "ALTER TABLE listing_files DROP COLUMN signature",
                      "ALTER TABLE issues DROP COLUMN settings",
                      "ALTER TABLE source_health DROP COLUMN suspect",
                      "ALTER TABLE source_health DROP COLUMN alerted",
                      "DROP TABLE source_reads",
                      "ALTER TABLE entries DROP COLUMN title_derived",
                      "DROP TABLE articles"):  # what v6 to v13 added
            db.execute(later)
        db.execute("PRAGMA user_version = 4")
    with open_database(store) as opened:
        assert Store(opened).pending_feeds() == {"c", category_slug("C++"), "all"}
    result = cli("build")
    assert result.exit_code == 0
    assert set(_feeds(project)) == {category_slug("C++"), "news"}
    assert feedparser.parse(project / "feeds" / "c.atom").entries == []  # emptied, not stale
    with sqlite3.connect(store) as db:  # v8 counted the months it found
        assert db.execute("SELECT SUM(entries) FROM month_counts").fetchone()[0] == \
            db.execute("SELECT COUNT(*) FROM entries").fetchone()[0]


def test_a_huge_field_is_cut_with_a_warning_and_never_blocks_later_builds(
        project: Path, cli: Callable[..., Result]) -> None:
    huge = "word " * 2_400_000  # 12 MB on one line
    listing = project / "listings" / "000_254e8c6e76770959.txt"
    text = listing.read_text(encoding="utf-8")
    listing.write_text(text.replace("ILO COOP unit joined the ILO", huge + "ILO COOP unit joined",
                                    1), encoding="utf-8")
    result = cli("build")
    assert result.exit_code == 0, result.output
    assert "000_254e8c6e76770959.txt:3: summary is 12,000,158 characters long; cut to 10,000" \
        in result.stderr
    entry = feedparser.parse(project / "feeds" / "all.atom").entries[0]
    assert 9_000 < len(entry.summary) <= 10_001 and entry.summary.endswith("…")
    listing.write_text(text + "\n", encoding="utf-8")  # the next build reads it again
    assert cli("build").exit_code == 0
