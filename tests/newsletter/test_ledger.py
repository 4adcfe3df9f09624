"""What an issue selects: the items dated in its period, a period taken in the site's time zone.

Date-only items are placed at noon in the site's zone; in a zone twelve or more hours from UTC,
noon of the 1st is still the 30th in UTC, so bounds taken at midnight UTC would move the items
at each edge of a period into the neighbouring issue.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest

from tests.fixtures.project import Result


def _listing(days: list[str]) -> str:
    items = "".join(f"  {number}. News\n\n    Item of {day}\n\n    {day}\n\n"
                    for number, day in enumerate(days, start=1))
    return f"News, stories and statements on cooperatives\n\n{items}"


def _far_from_utc(project: Path, days: list[str], cadence: str = "monthly") -> None:
    """The project with one listing of `days`, in Auckland (UTC+13 in November)."""
    for old in (project / "listings").glob("*.txt"):
        old.unlink()
    (project / "listings" / "edges.txt").write_text(_listing(days))
    config = project / "config.toml"
    text = config.read_text().replace('timezone = "Europe/Zurich"',
                                      'timezone = "Pacific/Auckland"')
    text = text.replace('cadence = "monthly"', f'cadence = "{cadence}"')
    config.write_text(text)


def _selected(result: Result) -> list[str]:
    """The days of the items a dry run lists: the lead story, then each section's, each
    checked against the day it is listed under (noon of the 1st in Auckland is 23:00 on the
    31st in UTC: an item read back from the store in UTC would be listed a day early)."""
    assert result.exit_code == 0, result.output
    lead = re.findall(r"^  Lead: Item of (.+)$", result.stdout, re.MULTILINE)
    listed = re.findall(r"^ {4}(\S+)  Item of (.+)$", result.stdout, re.MULTILINE)
    for printed, day in listed:
        assert printed == datetime.strptime(day, "%d %B %Y").date().isoformat()
    return lead + [day for _, day in listed]


@pytest.mark.parametrize(("period", "cadence", "days", "inside"), [
    ("--month=2023-11", "monthly",
     ["01 December 2023", "30 November 2023", "01 November 2023", "31 October 2023"],
     ["30 November 2023", "01 November 2023"]),
    ("--week=2023-W48", "weekly",  # Monday 27 November to Sunday 3 December
     ["04 December 2023", "03 December 2023", "27 November 2023", "26 November 2023"],
     ["03 December 2023", "27 November 2023"]),
])
def test_a_period_is_bounded_in_the_sites_time_zone(
        project: Path, cli: Callable[..., Result], period: str, cadence: str, days: list[str],
        inside: list[str]) -> None:
    _far_from_utc(project, days, cadence)
    assert cli("build").exit_code == 0
    selected = _selected(cli("digest", period, "--dry-run", "--now", "2023-12-20T09:00"))
    assert sorted(selected) == sorted(inside)


def _digest(cli: Callable[..., Result], period: str, now: str) -> Result:
    """The issue of `period` built on `now` (without --send: built and recorded, not sent)."""
    result = cli("digest", period, "--now", now)
    assert result.exit_code == 0, result.output
    return result


def _add(project: Path, days: list[str]) -> None:
    """Items of `days` put on top of the listing: what the page shows from the next build."""
    listing = project / "listings" / "edges.txt"
    top = _listing(days).partition("\n\n")[2].replace("Item of", "Late item of")
    listing.write_text(listing.read_text().replace("\n\n", "\n\n" + top, 1))


def _late(result: Result) -> list[str]:
    assert result.exit_code == 0, result.output
    return re.findall(r"Late item of (.+)$", result.stdout, re.MULTILINE)


def test_late_arrivals_reach_back_whole_months_in_the_sites_time_zone(
        project: Path, cli: Callable[..., Result]) -> None:
    """The lookback starts at midnight on the 1st in Auckland: noon of 1 October there is still
    30 September in UTC, and noon of 30 September is before the lookback, in any zone."""
    _far_from_utc(project, ["15 October 2023"])
    assert cli("build").exit_code == 0
    _digest(cli, "--month=2023-10", "2023-11-02T09:00")  # issue 1: October
    _add(project, ["01 October 2023", "30 September 2023"])
    assert cli("build").exit_code == 0  # first seen after issue 1 was built
    november = cli("digest", "--month=2023-11", "--dry-run", "--now", "2023-12-02T09:00")
    assert _late(november) == ["01 October 2023"]  # lookback_months = 1: October only


def test_weekly_issues_without_lookback_carry_no_late_arrivals(
        project: Path, cli: Callable[..., Result]) -> None:
    """`lookback_months = 0` means none, also for a week that is not the month's first."""
    _far_from_utc(project, ["06 November 2023"], cadence="weekly")
    assert cli("build").exit_code == 0
    _digest(cli, "--week=2023-W45", "2023-11-13T09:00")  # issue 1: 6 to 12 November
    _add(project, ["07 November 2023"])
    assert cli("build").exit_code == 0
    week = ["--week=2023-W47", "--dry-run", "--now", "2023-11-27T09:00"]
    assert _late(cli("digest", *week)) == ["07 November 2023"]  # lookback_months = 1
    config = project / "config.toml"
    config.write_text(re.sub(r"^\[digest\].*$", r"\g<0>\nlookback_months = 0",
                             config.read_text(), count=1, flags=re.MULTILINE))
    assert _late(cli("digest", *week)) == []
