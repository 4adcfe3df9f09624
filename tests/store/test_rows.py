"""Entries and rows: an entry read back is the one stored, its permalink on the page of the
day it was listed, even where that day's noon is the day before in UTC."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import feedparser

from tests.fixtures.project import Result


def test_a_permalink_is_on_the_page_of_the_listed_day_far_from_utc(
        project: Path, cli: Callable[..., Result]) -> None:
    config = project / "config.toml"
    config.write_text(config.read_text().replace('timezone = "Europe/Zurich"',
                                                 'timezone = "Pacific/Auckland"'))
    (project / "listings" / "edge.txt").write_text(
        "News, stories and statements on cooperatives\n\n  1. News\n\n"
        "    Listed on the first of the month\n\n    01 December 2023\n\n")
    assert cli("build").exit_code == 0
    entry = next(e for e in feedparser.parse(project / "feeds" / "all.atom").entries
                 if e.title == "Listed on the first of the month")
    page, _, anchor = entry.link.removeprefix("https://feeds.example.org/ilo-coop/").partition("#")
    assert page == "archive/2023-12.html"  # noon of 1 December in Auckland is 30 November UTC
    assert f'id="{anchor}"' in (project / "feeds" / page).read_text()
