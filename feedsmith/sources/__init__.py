"""Sources: from the configured files to entries with ids, times and clean text.

A source that cannot be read is reported and skipped; the build goes on with the others (and the
store keeps what that source showed before). Only when every source fails does the build fail.
"""

from __future__ import annotations

import glob
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from feedsmith import __version__
from feedsmith.config import SiteConfig, SourceConfig
from feedsmith.entry import Entry, dated, entry_id
from feedsmith.errors import Problem, SourceError
from feedsmith.sources.text import ListedItem, read_text_listing


@dataclass(slots=True)
class Harvest:
    """What reading all sources gave: entries newest-listed first, and what went wrong."""

    entries: list[Entry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # single items left out
    failures: list[SourceError] = field(default_factory=list)  # whole files or sources
    fingerprints: dict[str, str] = field(default_factory=dict)  # of the files read, by path
    files_read: int = 0
    files_unchanged: int = 0  # skipped: same bytes and settings as when last read


def read_sources(sources: tuple[SourceConfig, ...], site: SiteConfig,
                 known: Mapping[str, str] | None = None) -> Harvest:
    """Read every source in config order; an item listed twice (on one page or two) counts once.

    A file whose fingerprint is in `known` (the store's record of files already merged) is not
    parsed: its entries are in the store already, so a build where nothing changed costs only
    reading and hashing the listings.
    """
    known = known or {}
    harvest = Harvest()
    seen: set[str] = set()
    for source in sources:
        files = _expand(source)
        if not files:
            patterns = ", ".join(source.paths)
            harvest.failures.append(SourceError(f"source {source.name!r}: no file matches {patterns}"))
        for path in files:
            try:
                raw = path.read_bytes()
            except OSError as exc:
                harvest.failures.append(SourceError(f"{path}: cannot read: {exc.strerror}"))
                continue
            fingerprint = _fingerprint(raw, source, site)
            if known.get(str(path)) == fingerprint:
                harvest.files_unchanged += 1
                continue
            try:
                items, problems = _parse(raw, path, source)
            except SourceError as failure:
                harvest.failures.append(failure)
                continue
            harvest.files_read += 1
            harvest.fingerprints[str(path)] = fingerprint
            harvest.problems.extend(problems)
            for item in items:
                entry = _entry(item, path, source, site)
                if entry.id not in seen:
                    seen.add(entry.id)
                    harvest.entries.append(entry)
    return harvest


def _expand(source: SourceConfig) -> list[Path]:
    """The files a source names, each pattern's matches in sorted order, without repeats."""
    paths: dict[Path, None] = {}
    for pattern in source.paths:
        matches = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
        paths.update((Path(m), None) for m in matches if Path(m).is_file())
    return list(paths)


def _fingerprint(raw: bytes, source: SourceConfig, site: SiteConfig) -> str:
    """Changes when the file or anything that shapes its entries changes (settings, version)."""
    settings = (f"{__version__}\x1f{source.name}\x1f{source.category}\x1f{source.language}"
                f"\x1f{site.timezone.key}\x1f{site.id_authority}")
    return hashlib.sha256(settings.encode() + b"\x00" + raw).hexdigest()


def _parse(raw: bytes, path: Path, source: SourceConfig) -> tuple[list[ListedItem], list[Problem]]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise SourceError(f"{path}:{line}: not UTF-8 text (byte 0x{raw[exc.start]:02x}); "
                          "save the listing as UTF-8") from None
    items, problems = read_text_listing(text, str(path), source.language)
    if not items:
        raise SourceError(
            f"{path}: no listing item found: expected numbered items (\"1. News\") each with a "
            f"title and a date line such as \"01 December 2023\""
            + (f" ({len(problems)} item(s) left out, e.g. {problems[0]})" if problems else ""))
    return items, problems


def _entry(item: ListedItem, path: Path, source: SourceConfig, site: SiteConfig) -> Entry:
    moment = dated(item.day, site.timezone)
    return Entry(
        id=entry_id(site.id_authority, item.day, item.title),
        title=item.title,
        category=item.category or source.category,
        published=moment,
        updated=moment,
        summary=item.summary,
        source=source.name,
        origin=f"{path}:{item.line}",
    )
