"""Selectors under test: `feedsmith check --save DIR` keeps each source's listing as fetched (its
bytes, URL and media type) with the items read from it; `feedsmith check --against DIR` reads
the kept listings again, offline, with today's config, and shows how the items differ. An
operator keeps DIR in version control and runs `--against` in CI whenever the config changes.

Per source, DIR/<source name>/ holds `listing-N.body` and `listing-N.json` (where it came from)
for each file or first page, and `items.txt`: one block per item, as diffs read best.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from pathlib import Path
from typing import NamedTuple

from feedsmith.config import Config, SourceConfig
from feedsmith.errors import SourceError
from feedsmith.sources.harvest import expand_paths
from feedsmith.sources.item import ListedItem
from feedsmith.sources.listing import parse_listing


class Listing(NamedTuple):
    """One listing as a source gave it: its bytes, where from, and its media type."""

    location: str  # the URL after redirects, or the file's path
    body: bytes
    content_type: str = ""


class SnapshotDifference(NamedTuple):
    source: str
    diff: str  # a unified diff of the items, saved (---) against read now (+++)


def save(config: Config, folder: Path) -> list[str]:
    """Fetch or read each source's listings and keep them with the items read from them;
    the folders written. SourceError when a source cannot be had."""
    written = []
    for source in config.sources:
        listings = _listings(config, source)
        place = folder / _folder_name(source.name)
        place.mkdir(parents=True, exist_ok=True)
        for old in place.glob("listing-*"):
            old.unlink()
        for number, listing in enumerate(listings, start=1):
            (place / f"listing-{number}.body").write_bytes(listing.body)
            (place / f"listing-{number}.json").write_text(json.dumps(
                {"location": listing.location, "content_type": listing.content_type}, indent=2)
                + "\n")
        (place / "items.txt").write_text(_items_text(config, source, listings), encoding="utf-8")
        written.append(str(place))
    return written


def compare(config: Config, folder: Path) -> list[SnapshotDifference]:
    """Read the kept listings with today's config; the sources whose items differ."""
    differences = []
    for source in config.sources:
        place = folder / _folder_name(source.name)
        if not (place / "items.txt").is_file():
            raise SourceError(f"{place}: no saved listing for source {source.name!r}: run "
                              f"`feedsmith check --save {folder}` first")
        listings = []
        for meta in sorted(place.glob("listing-*.json"), key=_number):
            where = json.loads(meta.read_text())
            listings.append(Listing(where["location"], meta.with_suffix(".body").read_bytes(),
                                    where["content_type"]))
        saved = (place / "items.txt").read_text(encoding="utf-8")
        now = _items_text(config, source, listings)
        if now != saved:
            diff = "".join(difflib.unified_diff(
                saved.splitlines(keepends=True), now.splitlines(keepends=True),
                fromfile=f"{place / 'items.txt'} (saved)", tofile="read now"))
            differences.append(SnapshotDifference(source.name, diff))
    return differences


def _listings(config: Config, source: SourceConfig) -> list[Listing]:
    if not source.url:  # named relative to the config, so DIR holds in any checkout
        return [Listing(os.path.relpath(path, config.path.parent), path.read_bytes())
                for path in expand_paths(source)]
    from feedsmith.sources.fetch import client, fetch

    allowed = source.allowed_origins()
    with client(config.fetch) as session:
        page = fetch(session, source.url, config.fetch, source.name, allowed)
    return [Listing(page.url, page.body, page.content_type)]


def _items_text(config: Config, source: SourceConfig, listings: list[Listing]) -> str:
    """The items read from `listings`, one block each, or the error each gives."""
    blocks = []
    for listing in listings:
        try:
            items, _, _ = parse_listing(listing.body, listing.location, source, config.site,
                                        listing.content_type)
        except SourceError as error:
            blocks.append(f"# {listing.location}: {error}\n")
            continue
        blocks.append(f"# {listing.location}: {len(items)} item(s)\n")
        blocks += [_item_text(item) for item in items]
    return "\n".join(blocks)


def _item_text(item: ListedItem) -> str:
    lines = [f"{item.day.isoformat()}  [{item.category or ''}]  {item.title}"]
    lines += [f"    {name}: {value}" for name, value in (
        ("link", item.link), ("summary", item.summary), ("image", item.image)) if value]
    return "\n".join(lines) + "\n"


def _folder_name(source: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", source).lstrip(".") or "source"


def _number(path: Path) -> int:
    return int(path.stem.rpartition("-")[2])
