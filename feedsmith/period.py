"""What an issue covers: a calendar month ("2023-11") or an ISO week ("2023-W47") in the site's
time zone. The key is what the ledger, the digest files and the command line name an issue by;
everything else about a period (when it starts and ends, its neighbours, its name in a sentence)
is asked here, so the newsletter works the same whatever `[digest] cadence` says.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from feedsmith.dates import babel_locale, month_label

MONTHLY, WEEKLY = "monthly", "weekly"
CADENCES = (MONTHLY, WEEKLY)
MONTH_KEY = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")  # "2023-11"
WEEK_KEY = re.compile(r"(\d{4})-W(0[1-9]|[1-4]\d|5[0-3])")  # "2023-W47"


class Period(NamedTuple):
    """A month or an ISO week: the days [first_day, end_day). Periods sort by their days."""

    first_day: date
    end_day: date  # the day after the last
    key: str

    @classmethod
    def parse(cls, key: str) -> Period:
        """"2023-11" or "2023-W47"; ValueError naming what was expected otherwise."""
        if match := MONTH_KEY.fullmatch(key):
            first = date(int(match[1]), int(match[2]), 1)
            return cls(first, _next_month(first), key)
        if match := WEEK_KEY.fullmatch(key):
            try:
                first = date.fromisocalendar(int(match[1]), int(match[2]), 1)
            except ValueError:
                raise ValueError(f"{match[1]} has no ISO week {int(match[2])}") from None
            return cls(first, first + timedelta(days=7), key)
        raise ValueError(f"expected a month such as 2023-11 or an ISO week such as 2023-W47, "
                         f"got {key!r}")

    @classmethod
    def containing(cls, day: date, cadence: str) -> Period:
        if cadence == WEEKLY:
            year, week, _ = day.isocalendar()
            return cls.parse(f"{year:04d}-W{week:02d}")
        return cls.parse(f"{day.year:04d}-{day.month:02d}")

    @property
    def cadence(self) -> str:
        return WEEKLY if "W" in self.key else MONTHLY

    @property
    def option(self) -> str:
        """How the command line names it: "--month 2023-11" or "--week 2023-W47"."""
        return f"--{'week' if self.cadence == WEEKLY else 'month'} {self.key}"

    def start(self, zone: ZoneInfo) -> datetime:
        return datetime.combine(self.first_day, time(0), tzinfo=zone)

    def end(self, zone: ZoneInfo) -> datetime:
        return datetime.combine(self.end_day, time(0), tzinfo=zone)

    def shifted(self, count: int) -> Period:
        """The period `count` periods later (earlier when negative)."""
        if self.cadence == WEEKLY:
            return Period.containing(self.first_day + timedelta(weeks=count), WEEKLY)
        index = self.first_day.year * 12 + self.first_day.month - 1 + count
        return Period.parse(f"{index // 12:04d}-{index % 12 + 1:02d}")

    def label(self, language: str) -> str:
        """"November 2023", or "Week 47, 20–26 November 2023" in the site's language."""
        if self.cadence == MONTHLY:
            return month_label(self.key, language)
        from babel.dates import format_date  # ~20 ms: loaded only when a label is written

        locale = babel_locale(language)
        last = self.end_day - timedelta(days=1)
        week = int(self.key.split("W")[1])
        first_format = "d" if self.first_day.month == last.month else "d MMMM"
        if self.first_day.year != last.year:
            first_format = "d MMMM y"
        days = (f"{format_date(self.first_day, first_format, locale=locale)}–"
                f"{format_date(last, 'd MMMM y', locale=locale)}")
        return f"Week {week}, {days}"


def _next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)
