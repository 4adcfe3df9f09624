"""What an issue selects: the items dated in its period, a period taken in the site's time zone.

Date-only items are placed at noon in the site's zone; in a zone twelve or more hours from UTC,
noon of the 1st is still the 30th in UTC, so bounds taken at midnight UTC would move the items
at each edge of a period into the neighbouring issue.
"""

from __future__ import annotations

import re
from collections.abc import Callable
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
    """The days of the items a dry run lists: the lead story, then each section's."""
    assert result.exit_code == 0, result.output
    return re.findall(r"^(?:  Lead: | {4}\d{4}-\d\d-\d\d  )Item of (.+)$", result.stdout,
                      re.MULTILINE)


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
