"""A build merges each listing file as soon as it is read, so that memory does not grow with the
listings: the store must come out exactly as if the whole harvest had been merged at once."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import feedparser

from feedsmith import pipeline
from feedsmith.config import load_config

BOTH_ENGINES = True  # each test of a project runs on SQLite and on PostgreSQL (conftest)

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
ITEM = """  {n}. News

    {title}

    {day}

    {summary}
"""
SUMMARY = "A sentence about what happened."
MAY_2 = "02 May 2024"


def _write(project: Path, pages: list[list[tuple[str, str]]]) -> None:
    """Listing files page-1.txt, page-2.txt, … each holding (title, day) items, newest first."""
    folder = project / "listings"
    shutil.rmtree(folder)
    folder.mkdir()
    for number, items in enumerate(pages, start=1):
        body = "".join(ITEM.format(n=n, title=title, day=day, summary=SUMMARY)
                       for n, (title, day) in enumerate(items, start=1))
        (folder / f"page-{number}.txt").write_text("News on cooperatives\n\n" + body)


def _build(project: Path, now: datetime = NOW) -> pipeline.BuildReport:
    return pipeline.build(load_config(project / "config.toml"), now)


def _published(project: Path) -> dict[str, str]:
    """title -> published, as a feed reader sees the feed of everything."""
    return {e.title: e.published for e in feedparser.parse(project / "feeds" / "all.atom").entries}


ITEMS = [(f"Item {letter}", day) for letter, day in [
    ("A", "03 May 2024"), ("B", "02 May 2024"), ("C", "02 May 2024"), ("D", "02 May 2024"),
    ("E", "02 May 2024"), ("F", "01 May 2024"), ("G", "01 May 2024")]]


def test_a_day_split_across_files_gets_the_times_of_one_listing(
        project: Path, tmp_path: Path, copy_project: Callable[[Path, Path], None]) -> None:
    whole, split = tmp_path / "whole", tmp_path / "split"
    for folder in (whole, split):
        copy_project(project, folder)
        _write(folder, [[ITEMS[4]]])  # one of 2 May stored before: the others come after it
        _build(folder)
    _write(whole, [ITEMS])
    _write(split, [ITEMS[:2], ITEMS[2:3], ITEMS[3:6], ITEMS[6:]])  # 2 May over three files
    _build(whole, NOW + timedelta(hours=1))
    _build(split, NOW + timedelta(hours=1))
    times = _published(whole)
    assert len(times) == 7 and len(set(times.values())) == 7
    assert times["Item B"] > times["Item C"] > times["Item D"] > times["Item E"]
    assert _published(split) == times


def test_an_item_in_two_files_is_one_entry_and_the_first_listing_wins(project: Path) -> None:
    _write(project, [ITEMS[:2], [ITEMS[1], ITEMS[2]]])
    text = (project / "listings" / "page-2.txt").read_text()
    (project / "listings" / "page-2.txt").write_text(text.replace(SUMMARY, "Later words.", 1))
    report = _build(project)
    assert report.merge.new == 3
    entries = feedparser.parse(project / "feeds" / "all.atom").entries
    assert [e.title for e in entries] == ["Item A", "Item B", "Item C"]
    assert entries[1].summary == SUMMARY


def test_a_stored_title_listed_in_a_later_file_is_no_correction(project: Path) -> None:
    original = ("Cooperatives in Myanmar: a 2023 report", "02 May 2024")
    near = ("Cooperatives in Myanmar: a 2023 reports", "02 May 2024")  # a correction, if alone
    _write(project, [[original]])
    _build(project)
    _write(project, [[near], [original]])  # listed side by side: two items
    report = _build(project, NOW + timedelta(hours=1))
    assert (report.merge.new, report.merge.corrected) == (1, 0)
    _write(project, [[original], [near]])
    assert _build(project, NOW).merge.new == 0  # both are stored now


def test_a_correction_leaves_no_gap_in_the_times_of_its_day(project: Path) -> None:
    stored = ("Cooperatives in Myanmar: a 2023 report", "02 May 2024")
    _write(project, [[stored]])
    _build(project)
    before = _published(project)[stored[0]]
    corrected = ("Cooperatives in Myanmar: a 2023 reports", "02 May 2024")
    _write(project, [[ITEMS[1]], [corrected]])  # a new item above the corrected one
    report = _build(project, NOW + timedelta(hours=1))
    assert (report.merge.new, report.merge.corrected) == (1, 1)
    times = _published(project)
    assert times[corrected[0]] == before
    assert datetime.fromisoformat(times["Item B"]) - datetime.fromisoformat(before) == \
        timedelta(seconds=1)


def _feed(project: Path, *items: tuple[str, str, str]) -> None:
    """An RSS feed among the listings (page-1.rss, read with the text files): (title, link
    path, description) items of 2 May 2024."""
    config = project / "config.toml"
    config.write_text(config.read_text().replace('["listings/*.txt"]', '["listings/*"]'))
    (project / "listings" / "page-1.rss").write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>'
        "<link>https://news.example.org/</link><description>News</description>" + "".join(
            f"<item><title>{title}</title><link>https://news.example.org{path}</link>"
            f"<description>{text}</description>"
            "<pubDate>Thu, 02 May 2024 10:00:00 +0000</pubDate></item>"
            for title, path, text in items) + "</channel></rss>")


def test_an_item_with_a_link_and_again_without_one_is_one_entry(project: Path) -> None:
    # page-2.txt: the item without a link, and one more after it
    _write(project, [[], [("Item B", "02 May 2024"), ("Item C", "01 May 2024")]])
    (project / "listings" / "page-1.txt").unlink()
    _feed(project, ("Item B", "/b", SUMMARY))
    assert _build(project).merge.new == 2
    entry, after = feedparser.parse(project / "feeds" / "all.atom").entries
    assert entry.link == "https://news.example.org/b" and after.title == "Item C"


def test_an_item_that_gained_a_link_is_still_one_entry_when_its_title_changes(
        project: Path) -> None:
    """Stored under its title, then listed with a link (recorded as an alias of the entry), then
    with another title: only the alias leads to the entry now, which no id listed names."""
    _write(project, [[("Item B", "02 May 2024")]])
    _build(project)
    [first] = feedparser.parse(project / "feeds" / "all.atom").entries
    (project / "listings" / "page-1.txt").unlink()
    for hours, title in ((1, "Item B"), (2, "Item B, corrected")):
        _feed(project, (title, "/b", SUMMARY))
        report = _build(project, NOW + timedelta(hours=hours))
        assert (report.merge.new, report.merge.changed) == (0, 1)
    [entry] = feedparser.parse(project / "feeds" / "all.atom").entries
    assert (entry.id, entry.title) == (first.id, "Item B, corrected")



def test_the_first_of_two_listings_of_a_stored_item_in_one_file_wins(project: Path) -> None:
    """An entry known under two links (it moved from /b to /b2) listed under both in one feed,
    with two titles: two ids that lead to one entry, which takes the first listing only."""
    _write(project, [[("Item B", "02 May 2024")]])
    _build(project)
    (project / "listings" / "page-1.txt").unlink()
    for hours, path in ((1, "/b"), (2, "/b2")):
        _feed(project, ("Item B", path, SUMMARY))
        assert _build(project, NOW + timedelta(hours=hours)).merge.new == 0
    _feed(project, ("Item B", "/b", "As listed first."),
          ("Item B, again", "/b2", "As listed again."))
    assert _build(project, NOW + timedelta(hours=3)).merge.changed == 1
    [entry] = feedparser.parse(project / "feeds" / "all.atom").entries
    assert (entry.title, entry.summary) == ("Item B", "As listed first.")


def _listing(project: Path, items: list[tuple[str, str, str]]) -> None:
    """The only listing file: (title, day, summary) items."""
    _write(project, [])
    (project / "listings" / "page-1.txt").write_text("News on cooperatives\n\n" + "".join(
        ITEM.format(n=n, title=title, day=day, summary=summary)
        for n, (title, day, summary) in enumerate(items, start=1)))


def test_a_new_item_on_a_day_whose_other_item_left_the_listing_is_new(project: Path) -> None:
    _listing(project, [("Item A", MAY_2, "About A."), ("Item B", MAY_2, "About B.")])
    _build(project)
    _listing(project, [("Item C", MAY_2, "About C."), ("Item B", MAY_2, "About B.")])  # A left
    report = _build(project, NOW + timedelta(hours=1))
    assert (report.merge.new, report.merge.corrected) == (1, 0)
    assert sorted(_published(project)) == ["Item A", "Item B", "Item C"]


def test_a_stored_title_is_corrected_once_when_two_new_titles_are_alike(project: Path) -> None:
    """Both new titles are 90 % alike to the stored one: the first listed corrects it, the
    other is an item of its own, and nothing is lost."""
    _listing(project, [("Cooperatives in Myanmar: a 2023 report", MAY_2, SUMMARY)])
    _build(project)
    _listing(project, [("Cooperatives in Myanmar: a 2023 reports", MAY_2, SUMMARY),
                       ("Cooperatives in Myanmar: the 2023 report", MAY_2, SUMMARY)])
    report = _build(project, NOW + timedelta(hours=1))
    assert (report.merge.new, report.merge.corrected) == (1, 1)
    assert sorted(_published(project)) == ["Cooperatives in Myanmar: a 2023 reports",
                                           "Cooperatives in Myanmar: the 2023 report"]


def test_corrections_are_found_past_the_first_chunk_of_days(project: Path) -> None:
    """Days are looked at 900 to a query: a correction on day 901 is found though the 900 days
    before it, which new items also fall on, hold nothing to correct."""
    days = [(date(2020, 1, 1) + timedelta(days=n)).strftime("%d %B %Y") for n in range(901)]
    stored = [(f"Item number {n} of the cooperatives", day, f"About item {n}.")
              for n, day in enumerate(days)]
    _listing(project, stored)
    _build(project)
    corrected = [*stored[:-1], (stored[-1][0].replace("cooperatives", "co-operatives"),
                                *stored[-1][1:])]
    _listing(project, corrected + [(f"New item {n}", day, f"New {n}.")
                                   for n, day in enumerate(days[:-1])])
    report = _build(project, NOW + timedelta(hours=1))
    assert (report.merge.new, report.merge.corrected) == (900, 1)
