"""The one record every stage passes on, and the rules that give it a stable identity and time.

No I/O here: readers build entries, the store remembers them, feeds and digests read them.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from slugify import slugify

# Date-only items are placed at noon in the site's time zone: the calendar day then reads the same
# from UTC-11 to UTC+12, where midnight would show "30 November" to every reader west of the site.
NOON = time(12, 0)
# The `updated` of a feed with no entry: fixed, so that an empty feed is the same bytes every run.
EPOCH = datetime(1970, 1, 1, tzinfo=ZoneInfo("UTC"))


@dataclass(frozen=True, slots=True)
class Entry:
    """One news item.

    `id` never changes once given (see `entry_id`). `published` is when the item is dated;
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

    @property
    def day(self) -> date:
        return self.published.date()


ALL = "all"  # the slug of the feed of everything
# File names the output folder uses for itself: a category may not take them.
_RESERVED_SLUGS = {ALL, "index", "feeds", "digest"}


_SLUG_LENGTH = 80


@lru_cache(maxsize=4096)
def category_slug(category: str) -> str:
    """A category's identity and file-name stem: "Spotlight Interviews with Co-operators" ->
    "spotlight-interviews-with-co-operators".

    Spellings that differ only in case, accents or punctuation share a slug, and so one feed
    (the harvest warns when it sees two). Any other difference gives another slug, whatever
    order the items come in: a name the readable slug cannot tell apart from others (symbols
    such as "C++" or emoji, letters outside the Latin alphabet, more than 80 characters) gets
    a short hash of its `category_key` appended: "c-1f0e3dad".
    """
    full = slugify(category)
    slug = slugify(category, max_length=_SLUG_LENGTH, word_boundary=True)
    if not slug or slug != full or not _spelled_by_slug(category):
        digest = hashlib.sha256(category_key(category).encode("utf-8")).hexdigest()[:8]
        slug = f"{slug[:_SLUG_LENGTH - 9] or 'category'}-{digest}".replace("--", "-")
    return f"{slug}-category" if slug in _RESERVED_SLUGS else slug


def category_key(category: str) -> str:
    """What tells categories apart: letters, digits and symbols, case and accents folded."""
    folded = unicodedata.normalize("NFKD", category.casefold())
    return "".join(c for c in folded if unicodedata.category(c)[0] in "LNS")


def _spelled_by_slug(category: str) -> bool:
    """Whether a slug can keep all that tells this name apart: Latin letters and digits (accents
    aside), punctuation and spaces, and no symbols."""
    for char in unicodedata.normalize("NFKD", category):
        kind = unicodedata.category(char)
        if kind[0] == "S" or kind[0] in "LN" and not char.isascii():
            return False
    return True


@dataclass(frozen=True, slots=True)
class Feed:
    """One published feed: `<slug>.rss` and `<slug>.atom` carry `entries`, newest first."""

    slug: str
    category: str | None  # None for the feed of everything; else its newest entry's spelling
    entries: tuple[Entry, ...]  # at most max_entries
    total: int  # entries in this category before the cap

    @property
    def rss_name(self) -> str:
        return f"{self.slug}.rss"

    @property
    def atom_name(self) -> str:
        return f"{self.slug}.atom"

    @property
    def updated(self) -> datetime | None:
        return max((e.updated for e in self.entries), default=None)

    def title(self, site_title: str) -> str:
        return f"{site_title}: {self.category}" if self.category else site_title


_WORDS = re.compile(r"[^\W_]+")


def title_key(title: str) -> str:
    """The part of a title that identifies it: letters and digits only, case and accents folded.

    "ILO’s “Practical” Guide" and "ILO's "practical" guide" have the same key, so a publisher who
    straightens quotes or fixes capitalisation does not create a new item.
    """
    folded = title.casefold()
    if not folded.isascii():  # ASCII has nothing to decompose: the common case stays cheap
        decomposed = unicodedata.normalize("NFKD", folded)
        folded = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_WORDS.findall(folded))


def entry_id(authority: str, day: date, title: str) -> str:
    """The RFC 4151 tag URI of an item: `tag:<authority>:<YYYY-MM-DD>/<16 hex of sha256(key)>`.

    Built only from what identifies an item on a listing without links (its date and its title
    key), never from the summary, category, source or position, so the same item read from two
    overlapping pages, in two runs, or after its summary was edited keeps one id.
    """
    digest = hashlib.sha256(title_key(title).encode("utf-8")).hexdigest()[:16]
    return f"tag:{authority}:{day.isoformat()}/{digest}"


def link_id(authority: str, link: str) -> str:
    """The id of an item whose listing gives its link: `tag:<authority>:link/<16 hex>`, from the
    link without its #fragment. An item first stored under its date-and-title id keeps that id:
    readers then carry the title id as an alias (see Store.merge)."""
    bare = link.split("#", 1)[0].strip()
    return f"tag:{authority}:link/{hashlib.sha256(bare.encode('utf-8')).hexdigest()[:16]}"


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


def stagger_within_day(entries: Sequence[Entry]) -> list[Entry]:
    """The entries with `day_offsets` applied: no two share `published` or `updated`."""
    staggered = []
    for entry, offset in zip(entries, day_offsets(entries), strict=True):
        moment = entry.published + timedelta(seconds=offset)
        staggered.append(replace(entry, published=moment, updated=moment))
    return staggered
