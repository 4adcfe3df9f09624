"""The plain-text listing reader, on the shipped samples and on one data file per edge case."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from feedsmith.cleantext import TITLE_LIMIT, clean, first_sentence
from feedsmith.dates import parse_date_line
from feedsmith.sources.item import ListedItem
from feedsmith.sources.text import read_text_listing
from tests.fixtures.project import DATA, REPO

SAMPLES = sorted((REPO / "listings").glob("*.txt"))
CASES = sorted((DATA / "listings").glob("*.txt"))


def _read(path: Path) -> tuple[list[ListedItem], list]:  # type: ignore[type-arg]
    return read_text_listing(path.read_text(encoding="utf-8"), path.name)


@pytest.mark.parametrize("listing", SAMPLES, ids=lambda p: p.stem)
def test_shipped_samples_match_golden(listing: Path) -> None:
    items, problems = _read(listing)
    expected = json.loads((DATA / "golden" / f"{listing.stem}.json").read_text(encoding="utf-8"))
    seen = [{"category": i.category, "title": i.title, "date": i.day.isoformat(),
             "summary": i.summary or None} for i in items]
    assert seen == expected
    assert problems == []


def test_samples_hold_the_items_a_reader_sees_on_the_page() -> None:
    """Spot checks written from reading the pages, independent of the golden files."""
    items = {path.stem[:3]: _read(path)[0] for path in SAMPLES}
    assert all(len(found) == 10 for found in items.values())
    assert items["000"][7].category == "Spotlight Interviews with Co-operators"
    assert items["000"][7].day == date(2023, 11, 20)
    assert items["001"][0].summary == ""  # "Advancing decent work ..." has no summary
    last_2020 = items["003"][5]
    assert (last_2020.title, last_2020.day) == ("ILO COOP eNewsUpdate Issue No. 8, August 2020",
                                                date(2020, 9, 1))
    blog = items["004"][8]  # listed under "July 2019" behind the "© SEWA 2022" credit
    assert (blog.category, blog.title) == ("Blog", "How social cooperatives help informal workers")
    assert items["004"][0].summary.startswith("A week-long training workshop focused on ILO’s “")


@pytest.mark.parametrize("listing", CASES, ids=lambda p: p.stem)
def test_listing_edge_cases(listing: Path) -> None:
    expected = json.loads(listing.with_suffix(".json").read_text(encoding="utf-8"))
    items, problems = read_text_listing(listing.read_text(encoding="utf-8"), listing.name,
                                        expected.get("language", "en"))
    seen = [{"line": i.line, "category": i.category, "title": i.title,
             "date": i.day.isoformat(), "summary": i.summary,
             **({"derived": True} if i.title_derived else {})} for i in items]
    assert seen == expected["entries"]
    assert [p.origin for p in problems] == [f"{listing.name}:{want['line']}"
                                            for want in expected["problems"]]
    for problem, want in zip(problems, expected["problems"], strict=True):
        assert want["contains"] in problem.message


def test_text_is_cleaned() -> None:
    assert clean("Cafe\u0301  co-op\u00a0\tnews\x0b\x00 ") == "Café co-op news"
    assert clean("“Typographic” quotes – kept") == "“Typographic” quotes – kept"


def test_control_characters_never_reach_an_item() -> None:
    text = "  1. News\x07\n\n    Title with a bell\x07 and a\x1b escape\n\n    01 June 2024\n"
    items, _ = read_text_listing(text, "x.txt")
    assert items[0].title == "Title with a bell and a escape"
    assert items[0].category == "News"


@pytest.mark.parametrize(("line", "language", "expected"), [
    ("01 December 2023", "en", date(2023, 12, 1)),
    ("1 December 2023", "en", date(2023, 12, 1)),
    ("1 Dec 2023", "en", date(2023, 12, 1)),
    ("December 1, 2023", "en", date(2023, 12, 1)),
    ("1er décembre 2023", "fr", date(2023, 12, 1)),
    ("01 de diciembre de 2023", "es", date(2023, 12, 1)),
    ("31 February 2023", "en", None),
    ("December 2023", "en", None),
    ("April 2022", "en", None),
    ("Issue No. 8, August 2020", "en", None),
    ("On 1 December 2023 the ILO", "en", None),
    ("01 Decembre 2023", "en", None),
])
def test_date_lines(line: str, language: str, expected: date | None) -> None:
    assert parse_date_line(line, language) == expected


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"], ids=["unix", "windows", "old-mac"])
def test_every_line_ending_reads_the_same(ending: str) -> None:
    listing = (DATA / "listings" / "no_category_line.txt").read_text(encoding="utf-8")
    expected, _ = read_text_listing(listing, "x.txt")
    items, problems = read_text_listing(ending.join(listing.split("\n")), "x.txt")
    assert items == expected and len(items) == 2 and problems == []


@pytest.mark.parametrize(("configured", "dated", "hint"), [
    ("en", "12 septembre 2023", 'in French: set language = "fr" on this source'),
    ("en", "12 de septiembre de 2023", 'in Spanish: set language = "es" on this source'),
    ("es", "12 septembre 2023", 'in French: set language = "fr" on this source'),
])
def test_dates_in_another_language_say_which(configured: str, dated: str, hint: str) -> None:
    text = f"News\n\n  1. News\n\n    A title\n\n    {dated}\n\n    A summary.\n"
    items, problems = read_text_listing(text, "listing.txt", configured)
    assert items == [] and len(problems) == 1
    assert problems[0].origin == "listing.txt:3"
    assert f"{dated!r} is a date {hint}" in problems[0].message


def test_an_undated_item_in_the_right_language_gets_no_language_hint() -> None:
    text = "News\n\n  1. Events\n\n    A meeting\n\n    Soon\n\n  2. News\n\n    B\n\n    01 May 2024\n"
    items, problems = read_text_listing(text, "listing.txt", "en")
    assert [item.title for item in items] == ["B"]
    assert "set language" not in problems[0].message


def _unnumbered(text: str) -> str:
    return re.sub(r"(?m)^(\s*)\d+\.\s+", r"\1", text)


def _dashed(text: str) -> str:
    return re.sub(r"(?m)^(\s*)\d+\.\s+", "-\n", text)


def _compact(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if line.strip())


@pytest.mark.parametrize("layout", [
    _unnumbered, _dashed, _compact, lambda text: _compact(_unnumbered(text)),
    lambda text: _compact(_dashed(text)),
], ids=["unnumbered", "dashed", "numbered-copied", "unnumbered-copied", "dashed-copied"])
@pytest.mark.parametrize("listing", SAMPLES, ids=lambda p: p.stem[:3])
def test_the_samples_in_other_layouts_read_the_same(listing: Path,
                                                    layout: Callable[[str], str]) -> None:
    """Each shipped page laid out as the site's other sections do (no numbers, "-" between
    items, no blank lines as copied from a browser) gives the same items."""
    text = listing.read_text(encoding="utf-8")
    expected, _ = read_text_listing(text, listing.name)
    items, problems = read_text_listing(layout(text), listing.name)
    assert all(not problem.origin.endswith(":1") for problem in problems)  # the page heading
    assert [(i.category, i.title, i.day, i.summary) for i in items] == [
        (i.category, i.title, i.day, i.summary) for i in expected]
    assert not any(item.title_derived for item in items)


def test_untitled_samples_take_the_first_sentence_as_title() -> None:
    """The samples with only date and summary lines (as the site's oldest pages): every item
    with a summary is read, titled by its summary's first sentence, and marked so."""
    listing = SAMPLES[0].read_text(encoding="utf-8")
    expected, _ = read_text_listing(listing, "x.txt")
    titles = {item.title for item in expected} | {item.category for item in expected}
    untitled = "\n".join(line for line in _unnumbered(listing).splitlines()
                         if line.strip() not in titles)
    items, problems = read_text_listing(untitled, "x.txt")
    with_summary = [item for item in expected if item.summary]
    assert [(i.day, i.summary) for i in items] == [(i.day, i.summary) for i in with_summary]
    assert all(item.title_derived and item.summary.startswith(item.title.removesuffix("…"))
               and len(item.title) <= TITLE_LIMIT for item in items)
    assert all(item.category is None for item in items) and problems == []


@pytest.mark.parametrize(("summary", "title"), [
    ("The ILO met in Geneva. Ten countries came.", "The ILO met in Geneva"),
    ("Ms. Esim and Dr. A. Smith opened it. Then more.", "Ms. Esim and Dr. A. Smith opened it"),
    ("Issue No. 8 is out. Read it.", "Issue No. 8 is out"),
    ("About 300 members, approx. ten per cent. More.", "About 300 members, approx. ten per cent"),
    ("Why cooperatives? Because they last.", "Why cooperatives?"),
    ("“A fair deal.” The ILO said so.", "“A fair deal.”"),
    ("One sentence without a full stop", "One sentence without a full stop"),
    (("A week-long training workshop on occupational safety, health and decent work, for "
      "cooperatives of coffee growers in the north of the country"),
     "A week-long training workshop on occupational safety, health and decent work…"),
])
def test_a_title_made_from_a_summary_is_its_first_sentence(summary: str, title: str) -> None:
    assert first_sentence(summary, limit=82) == title  # cut at a word, never after a comma


def test_the_readme_examples_read_as_shown() -> None:
    """Each example of "How a listing is read", saved as shown (its left column, without the
    `<-` notes), reads as the README says."""
    section = (REPO / "README.md").read_text(encoding="utf-8").split(
        "## How a listing is read")[1].split("\n## ")[0]
    examples = [re.sub(r"\s*<-.*", "", block) for block in re.findall(r"```\n(.*?)```",
                                                                       section, re.DOTALL)]
    read = [read_text_listing(text, "README.md", language)
            for text, language in zip(examples, ["en", "en", "fr", "en", "es"], strict=True)]
    assert all(problems == [] for _, problems in read)
    seen = [[(i.category, i.title, i.day.isoformat(), i.title_derived) for i in items]
            for items, _ in read]
    assert seen == [
        [("News", "ILO supports Occupational Safety and Health", "2022-04-01", False)],
        [("News", "ILO and ICA sign a memorandum on statistics", "2009-01-12", False),
         ("Statement", "Statement on the International Day of Cooperatives", "2009-01-09",
          False)],
        [("Actualités", "L'OIT soutient les coopératives de femmes au Sénégal", "2023-09-12",
          False)],
        [(None, "The ILO COOP Manager Ms. Simel Esim opened the regional meeting in Nairobi",
          "2010-03-12", True)],
        [("Noticias", "La OIT presentó un estudio sobre las cooperativas de trabajo",
          "2023-09-12", True),
         ("Noticias", "Las cooperativas agrícolas de Paraguay reciben apoyo técnico",
          "2023-09-05", True)],
    ]
