"""The one record every stage passes on, and the rules that give it a time (its identity:
`feedsmith.identity`).

No I/O here: readers build entries, the store remembers them, feeds and digests read them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

# Date-only items are placed at noon in the site's time zone: the calendar day then reads the same
# from UTC-11 to UTC+12, where midnight would show "30 November" to every reader west of the site.
NOON = time(12, 0)
# The `updated` of a feed with no entry: fixed, so that an empty feed is the same bytes every run.
EPOCH = datetime(1970, 1, 1, tzinfo=ZoneInfo("UTC"))


class Entry(NamedTuple):
    """One news item. A NamedTuple, not a dataclass: a cold build makes several hundred
    thousand, and a frozen dataclass takes five times as long to make one.

    `id` never changes once given (see `feedsmith.identity`). `published` is when the item is dated;
    `updated` is the last significant change (equal to `published` until the store sees one).
    Both are timezone-aware. `summary` and `link` are "" when the listing has none.
    """

    id: str
    title: str
    category: str
    published: datetime
    updated: datetime
    summary: str = ""
    link: str = ""
    source: str = ""
    origin: str = ""  # "path:line" of the listing it was read from, for messages
    aliases: tuple[str, ...] = ()  # other ids it may already be stored under (see `link_id`)
    language: str = ""  # of its listing, as a BCP 47 tag ("fr", "es-ES"); "" = the site's
    # Its permanent place in the web edition, relative to the site's base_url
    # ("archive/2023-11.html#item-…"); set by the store (see `feedsmith.identity.permalink`).
    home: str = ""
    image: str = ""  # an absolute http(s) URL of its picture, if the source gives one
    image_alt: str = ""  # the source's alt text for it ("" when it gave none)
    title_derived: bool = False  # its listing gave no title: the summary's first sentence
    # From the item's own page, when its source follows links (see `feedsmith.sources.article`)
    content: str = ""  # the full text as sanitised HTML
    author: str = ""

    @property
    def day(self) -> date:
        return self.published.date()

    def url(self, base_url: str) -> str:
        """Where a click on the item goes: its own link, else its permalink in the web edition."""
        return self.link or (base_url + self.home if self.home else "")


@lru_cache(maxsize=65_536)  # a listing has a few items a day: most calls repeat a day
def dated(day: date, zone: ZoneInfo) -> datetime:
    """The timestamp of a date-only item: noon of that day in the site's time zone."""
    return datetime.combine(day, NOON, tzinfo=zone)


def day_offsets(entries: Sequence[Entry], used_seconds: Mapping[date, int] | None = None) -> list[int]:
    """Seconds to add to each entry's time so that same-day entries get distinct times.

    `entries` come newest first, as listings show them. Seconds are counted up from the oldest
    entry of each day, starting after `used_seconds[day]` (the highest offset already given to
    that day), so an item added on top of a listing never moves the times of those below it.
    """
    next_second = {day: second + 1 for day, second in (used_seconds or {}).items()}
    offsets = [0] * len(entries)
    for index in range(len(entries) - 1, -1, -1):
        day = entries[index].day
        offsets[index] = next_second.get(day, 0)
        next_second[day] = offsets[index] + 1
    return offsets
