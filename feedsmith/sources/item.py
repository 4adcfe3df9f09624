"""What every reader (text, HTML, feed) gives the harvest: an item as its listing states it."""

from __future__ import annotations

from datetime import date
from typing import NamedTuple


class ListedItem(NamedTuple):
    """One item as the listing states it, before it becomes an Entry (a NamedTuple, as
    `Entry` is: one is made per item read)."""

    line: int
    title: str
    day: date
    category: str | None = None  # None: the listing gave no category line
    summary: str = ""
    link: str = ""  # absolute; only HTML listings and feeds give one
    image: str = ""  # its picture's absolute URL, and the alt text the source gave it
    image_alt: str = ""
    guid: str = ""  # the id a feed gives the item (Atom id, RSS guid, JSON Feed id), if any
    # The listing gave no title: `title` is its summary's first sentence (see `first_sentence`)
    title_derived: bool = False
