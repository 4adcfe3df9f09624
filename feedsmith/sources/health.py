"""When a source is *suspect*: a read that falls sharply against the listing's own history, or a
source that keeps failing. A scraper's worst failure is a quiet one: a page that keeps its address
but changes its layout reads as a quiet day, and a newsletter then goes out thin. The rules live
here; the store keeps the history (`feedsmith.store.health`), `status` and the build report show it.

No I/O here.
"""

from __future__ import annotations

from typing import NamedTuple

FAILING_BUILDS = 3  # failed builds in a row that make a source suspect (a 500 for three builds)
HISTORY = 5  # the reads of a listing its next read is judged against
KEPT_READS = 10  # reads kept per listing


class ListingRead(NamedTuple):
    """What one read of one listing (a file, or a page with its next pages) gave."""

    listing: str  # its path or URL
    source: str  # the [[sources]] name
    items: int
    left_out: int = 0  # items the reader saw but could not use (no date, no title)
    links: int = 0
    summaries: int = 0
    categories: int = 0  # items that named their own category

    def figures(self) -> str:
        """"3 items (2 with a link, 0 with a summary, 3 with a category; 1 left out)"."""
        return (f"{self.items} item(s) ({self.links} with a link, {self.summaries} with a "
                f"summary, {self.categories} with a category; {self.left_out} left out)")


# The figures whose disappearance is a sign: (field, what an item has when it counts)
_TRAITS = (("links", "a link"), ("summaries", "a summary"), ("categories", "a category"))
_USUAL = 0.5  # a trait most reads had (in at least this share of items) ...
_MOSTLY_LEFT_OUT = 0.5  # ... and a read that leaves out at least this share of what it saw


def suspicion(read: ListingRead, history: list[ListingRead]) -> str:
    """Why `read` looks broken against the listing's earlier reads (oldest first), or "".

    Suspect: nothing read where there were items; fewer than half the median of the last
    `HISTORY` reads; links, summaries or categories that most items had and none has now; most
    items left out where few were before. A listing with no history is never suspect.
    """
    recent = [h for h in history[-HISTORY:] if h.items > 0]
    if not recent:
        return ""
    from statistics import median  # here: a build that parses nothing judges nothing
    usual = median(h.items for h in recent)
    if read.items == 0:
        return f"read nothing where its last {len(recent)} read(s) gave a median of {usual:g} items"
    if read.items < usual / 2:
        return (f"read {read.items} item(s), under half the median of its last {len(recent)} "
                f"read(s) ({usual:g})")
    for name, what in _TRAITS:
        share = median(getattr(h, name) / h.items for h in recent)
        if share >= _USUAL and getattr(read, name) == 0:
            return f"no item has {what} where {share:.0%} of items had one"
    seen = read.items + read.left_out
    before = median(h.left_out / (h.items + h.left_out) for h in recent)
    if read.left_out / seen >= _MOSTLY_LEFT_OUT and before < _MOSTLY_LEFT_OUT / 2:
        return (f"{read.left_out} of {seen} items left out (no date or title), where "
                f"{before:.0%} were before")
    return ""


def failing(failures_in_row: int, error: str) -> str:
    """Why a source that failed `failures_in_row` builds in a row is suspect, or ""."""
    if failures_in_row < FAILING_BUILDS:
        return ""
    return f"failed {failures_in_row} builds in a row: {error}"
