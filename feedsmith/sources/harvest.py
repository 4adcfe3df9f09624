"""Sources: from the configured files and URLs to entries with ids, times and clean text.

A source that cannot be read is reported and skipped; the build goes on with the others (and the
store keeps what that source showed before). Only when every source fails does the build fail.
A file or fetched page whose bytes and settings are unchanged since it was last merged (its
fingerprint), or that the server says is not modified (HTTP 304), is not parsed again.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from feedsmith import __version__
from feedsmith.config import FetchConfig, SiteConfig, SourceConfig
from feedsmith.config.fingerprint import source_settings
from feedsmith.entry import Entry, dated
from feedsmith.errors import EmptyListing, Problem, SourceError
from feedsmith.identity import category_slug, ids_for, title_key
from feedsmith.sources import listing
from feedsmith.sources.health import ListingRead
from feedsmith.urls import is_http_url, origin

# The web and HTML/feed readers (httpx, lxml, Inscriptis, feedparser) are imported where a source
# needs them, and the text reader when a file changed: an unchanged build starts fast.
if TYPE_CHECKING:
    from concurrent.futures import Future

    from feedsmith.sources.fetch import Fetched, Web
    from feedsmith.sources.item import ListedItem


class Harvest:
    """What reading all sources gave: entries newest-listed first, and what went wrong.

    With a `sink` (a build's merge), each file's or page's entries go there as soon as it is
    read, so a build never holds more than one file of entries; an item listed again in a later
    file is then the store's to recognise. Without one, `entries` keeps them all.
    """

    def __init__(self, sink: Callable[[list[Entry]], None] | None = None,
                 problems: list[Problem] | None = None,
                 judge: Callable[[ListingRead], str] | None = None) -> None:
        self.sink = sink
        self.judge = judge  # why a listing's read looks broken ("" when it does not)
        self.entries: list[Entry] = []
        self.problems: list[Problem] = problems if problems is not None else []  # items left out
        self.failures: list[SourceError] = []  # whole files, pages or sources
        self.fingerprints: dict[str, str] = {}  # of what was read, by path or URL
        self.signatures: dict[str, str] = {}  # stat signatures of files, by path
        self.validators: dict[str, tuple[str, str]] = {}  # URL -> ETag, Last-Modified
        self.failed_sources: dict[str, str] = {}  # name -> first failure
        self.reads: list[ListingRead] = []  # each listing parsed (or found empty), with figures
        self.held: dict[str, str] = {}  # listings whose items are held back, and why
        self.files_read = 0  # files and pages parsed
        self.files_unchanged = 0  # skipped: same fingerprint, or 304 Not Modified
        self.seen: set[str] = set()  # ids taken (of this file, if sunk)
        self.aliased: set[str] = set()  # and the aliases of those ids
        self.titles: dict[str, tuple[str, str]] = {}  # id -> title and origin, as first read
        self.spellings: dict[str, dict[str, str]] = {}  # slug -> name -> origin

    def add(self, item: ListedItem, origin: str, source: SourceConfig, site: SiteConfig) -> None:
        """An item becomes an entry, unless this harvest has it already (by id or alias).

        Every reader's items pass here, so this is where what a source may publish is enforced:
        fields of bounded size, and links and pictures that are http(s) or none.
        """
        item = self._bounded(item, origin)
        if item.link and not is_http_url(item.link):
            self.problems.append(Problem(origin, f"link {item.link[:80]!r} is not an http(s) URL; "
                                                 "the item is published without it"))
            item = item._replace(link="")
        if item.image and not is_http_url(item.image):
            self.problems.append(Problem(origin, f"image {item.image[:80]!r} is not an http(s) "
                                                 "URL; the item is published without it"))
            item = item._replace(image="", image_alt="")
        entry_id, aliases = ids_for(site.id_authority, item.day, item.title, item.link,
                                    item.guid, source.name)
        if not self._first_time(entry_id, aliases):
            self._same_id_warning(entry_id, item.title, origin)
            return
        self.titles[entry_id] = (item.title, origin)
        moment = dated(item.day, site.timezone)
        category = item.category or source.category
        self.spellings.setdefault(category_slug(category), {}).setdefault(category, origin)
        self.entries.append(Entry(
            id=entry_id, title=item.title, category=category,
            published=moment, updated=moment, summary=item.summary, link=item.link,
            source=source.name, origin=origin, aliases=aliases,
            language=source.language, image=item.image, image_alt=item.image_alt,
            title_derived=item.title_derived))

    def take(self, part: Harvest) -> None:
        """One file's entries, made by a Harvest of its own (in a child process, when a build
        reads several): an item this harvest has already is left out, as `add` leaves it."""
        self.problems.extend(part.problems)
        self.reads.extend(part.reads)
        for slug, names in part.spellings.items():
            spelt = self.spellings.setdefault(slug, {})
            for name, where in names.items():
                spelt.setdefault(name, where)
        self.entries += [e for e in part.entries if self._first_time(e.id, e.aliases)]
        self.end_file()

    def _same_id_warning(self, entry_id: str, title: str, origin: str) -> None:
        """An item left out as listed before: say so where its title is another item's, for
        two different items must never merge in silence (a feed that repeats a guid, a
        listing whose items all link to one page)."""
        first = self.titles.get(entry_id)
        if first is not None and title_key(first[0]) != title_key(title):
            self.problems.append(Problem(origin, f"{title[:80]!r} has the same id as "
                                         f"{first[0][:80]!r} ({first[1]}), so only the first is "
                                         "kept; give them distinct links or ids"))

    def _first_time(self, entry_id: str, aliases: tuple[str, ...]) -> bool:
        """Whether an item is not listed before: neither its id nor an alias is another item's
        id, nor its id another's alias. Two items that only share an alias (the same title on
        the same day, different links) are two items; if so, its ids are taken from now on."""
        if entry_id in self.seen or entry_id in self.aliased or not self.seen.isdisjoint(aliases):
            return False
        self.seen.add(entry_id)
        self.aliased.update(aliases)
        return True

    def end_file(self) -> None:
        """A file or page is read: hand its entries to the sink, if there is one."""
        if self.sink is not None and self.entries:
            self.sink(self.entries)
            self.entries = []
            self.seen.clear()
            self.aliased.clear()
            self.titles.clear()

    def held_back(self, read: ListingRead) -> bool:
        """Whether a listing's read looks broken (see `feedsmith.sources.health`): then its
        items are held back, so that readers never see what a broken layout made of them."""
        why = self.judge(read) if self.judge else ""
        if why:
            self.held[read.listing] = why
        return bool(why)

    def _with_listing(self, key: str) -> Harvest:
        """This (one file's) harvest, its reads keyed by the file's key in the store."""
        self.reads = [read._replace(listing=key) for read in self.reads]
        return self

    def _bounded(self, item: ListedItem, origin: str) -> ListedItem:
        """The item with no field longer than FIELD_LIMITS: one runaway field must not make
        every later build fail (lxml refuses text nodes over 10 MB)."""
        if len(item.summary) <= _SHORTEST_LIMIT and len(item.title) <= _SHORTEST_LIMIT \
                and len(item.category or "") <= _SHORTEST_LIMIT and len(item.link) <= _SHORTEST_LIMIT \
                and len(item.image) <= _SHORTEST_LIMIT and len(item.image_alt) <= _SHORTEST_LIMIT:
            return item  # the usual case, checked without a loop
        shortened: dict[str, Any] = {}
        for name, limit in FIELD_LIMITS.items():
            value: str = getattr(item, name) or ""
            if len(value) > limit:
                whole = name in ("link", "image")  # a cut URL is a wrong URL
                shorter = "" if whole else value[:limit].rsplit(" ", 1)[0] + "…"
                what = "dropped" if whole else f"cut to {limit:,}"
                self.problems.append(Problem(origin, f"{name} is {len(value):,} characters long; "
                                                     f"{what}"))
                shortened[name] = shorter
        return item._replace(**shortened)

    def category_warnings(self) -> None:
        """Warn where spellings that differ beyond case share one feed ("C#" and "C")."""
        for slug, names in sorted(self.spellings.items()):
            distinct = {name.casefold(): name for name in names}
            if len(distinct) > 1:
                shown = " and ".join(repr(n) for n in sorted(distinct.values()))
                first_origin = min(names.values())
                self.problems.append(Problem(first_origin, f"categories {shown} differ only in "
                                     f"case, accents or punctuation, so they share one feed "
                                     f"({slug}); spell them alike, or differently"))


# The most a field of an entry may hold: longer ones are cut, with a warning.
FIELD_LIMITS = {"title": 1_000, "category": 200, "summary": 10_000, "link": 2_000,
                "image": 2_000, "image_alt": 1_000}
_SHORTEST_LIMIT = min(FIELD_LIMITS.values())


def read_sources(sources: tuple[SourceConfig, ...], site: SiteConfig,
                 known: Mapping[str, str] | None = None, fetch_config: FetchConfig | None = None,
                 validators: Mapping[str, tuple[str, str]] | None = None,
                 root: Path | None = None,
                 sink: Callable[[list[Entry]], None] | None = None,
                 signatures: Mapping[str, str] | None = None,
                 judge: Callable[[ListingRead], str] | None = None,
                 web: Web | None = None) -> Harvest:
    """Read every source in config order; an item listed twice (on one page or two) counts once.

    `known` and `validators` are the store's record of what was merged before (fingerprints by
    file or URL, HTTP validators by URL). Files are keyed by their path relative to `root` (the
    config's folder) when inside it, so a project moved or restored elsewhere is not re-parsed.
    `signatures` (by path) let a file whose `stat` did not change go unread. `judge` says why
    a listing's read looks broken: its items are then held back (`Harvest.held`). `web` is
    the build's way to the web (see `web_session`), opened here if not given and needed.
    """
    harvest = Harvest(sink, judge=judge)
    fetch_config = fetch_config or FetchConfig()
    on_the_web = any(source.url for source in sources)  # file-only builds pay nothing for HTTP
    with contextlib.ExitStack() as stack:
        web_reads: dict[str, Future[_WebRead]] = {}
        if on_the_web:  # fetched all at once, politely (see `Gate`); taken in config order
            from feedsmith.sources.fetch import web_session
            from feedsmith.sources.polite import fetching_threads, in_turns_by_host

            session = web or stack.enter_context(web_session(fetch_config))
            on_web = in_turns_by_host([s for s in sources if s.url], lambda s: s.url)
            workers = stack.enter_context(fetching_threads(session.gate, len(on_web)))
            web_reads = {source.name: workers.submit(
                _load_web, source, site, (known or {}).get(source.url),
                (validators or {}).get(source.url, ("", "")), fetch_config, session)
                for source in on_web}
        for source in sources:
            failed_before = len(harvest.failures)
            if source.url:
                _take_web(harvest, source, site, web_reads[source.name].result())
            else:
                _read_files(source, site, known or {}, signatures or {}, harvest, root)
            if len(harvest.failures) > failed_before:  # each error names its source
                harvest.failures[failed_before:] = [
                    f if str(f).startswith("source ") else type(f)(f"source {source.name!r}: {f}")
                    for f in harvest.failures[failed_before:]]
                harvest.failed_sources[source.name] = str(harvest.failures[failed_before])
    harvest.category_warnings()
    return harvest



def _read_files(source: SourceConfig, site: SiteConfig, known: Mapping[str, str],
                signatures: Mapping[str, str], harvest: Harvest, root: Path | None) -> None:
    files = expand_paths(source)
    if not files:
        harvest.failures.append(SourceError(
            f"source {source.name!r}: no file matches {', '.join(source.paths)}"))
    settings = _settings(source, site)
    shaping = hashlib.sha256(settings).hexdigest()[:16]
    to_read: list[tuple[Path, str, str]] = []  # path, key, stat signature
    inside = str(root).rstrip(os.sep) + os.sep if root else None  # string tests: no Path per file
    for path in files:
        name = str(path)
        key = name[len(inside):] if inside and name.startswith(inside) else name
        try:
            signature = stat_signature(path, shaping)
        except OSError as exc:
            harvest.failures.append(SourceError(f"{path}: cannot read: {exc.strerror}"))
            continue
        if signature and signatures.get(key) == signature and key in known:
            harvest.files_unchanged += 1
        else:
            to_read.append((path, key, signature))

    def read_all() -> Iterator[_FileRead]:
        for path, key, _ in to_read:
            yield _read_file(path, settings, known.get(key), source, site)

    reading: contextlib.AbstractContextManager[Iterable[_FileRead]]
    if len(to_read) > 1:  # read and parsed in a child process while this one merges the last
        from feedsmith.forked import InChild  # pickle and co.: only when there is work to share

        reading = InChild(read_all)
    else:
        reading = contextlib.nullcontext(read_all())
    with reading as reads:
        for (_, key, signature), done in zip(to_read, reads, strict=True):
            _take_file(harvest, key, signature, done)


def _take_file(harvest: Harvest, key: str, signature: str, done: _FileRead) -> None:
    """What reading one file adds to the harvest."""
    if done.failure is not None:
        harvest.failures.append(done.failure)
        if done.part is not None:
            harvest.reads.extend(read._replace(listing=key) for read in done.part.reads)
        return
    if signature:
        harvest.signatures[key] = signature
    if done.part is None:  # the same bytes as merged before
        harvest.files_unchanged += 1
        if signature:  # at a new place or time: the next build need not read it
            harvest.fingerprints[key] = done.fingerprint
        return
    harvest.files_read += 1
    part = done.part._with_listing(key)
    if any(harvest.held_back(read) for read in part.reads):
        harvest.reads.extend(part.reads)
        return
    harvest.fingerprints[key] = done.fingerprint
    harvest.take(part)


class _FileRead(NamedTuple):
    """One listing file read: its fingerprint, and its entries (a Harvest of its own) unless
    they are the ones merged before (`part` None) or it could not be read (`failure`)."""

    fingerprint: str
    part: Harvest | None = None
    failure: SourceError | None = None


def _read_file(path: Path, settings: bytes, known: str | None, source: SourceConfig,
               site: SiteConfig) -> _FileRead:
    """All that one file needs without the store: read, fingerprint, parse, make entries."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return _FileRead("", failure=SourceError(f"{path}: cannot read: {exc.strerror}"))
    fingerprint = _fingerprint(raw, settings)
    if known == fingerprint:
        return _FileRead(fingerprint)
    try:
        items, problems, _ = listing.parse_listing(raw, str(path), source, site)
    except SourceError as failure:
        part = Harvest()
        if isinstance(failure, EmptyListing):
            part.reads.append(ListingRead(str(path), source.name, 0))
        return _FileRead(fingerprint, part=part, failure=failure)
    part = Harvest(problems=problems)
    part.reads.append(listing_read(str(path), source.name, items, problems))
    for item in items:
        part.add(item, f"{path}:{item.line}", source, site)
    return _FileRead(fingerprint, part=part)


class _WebRead(NamedTuple):
    """One web source read without the store (in a worker thread, see `read_sources`): what
    `_take_web` adds to the harvest, in config order."""

    unchanged: bool = False  # a 304, or the same body as the last merged one
    fingerprint: str = ""
    validators: tuple[str, str] = ("", "")
    items: tuple[ListedItem, ...] = ()
    problems: tuple[Problem, ...] = ()
    failure: SourceError | None = None


def _load_web(source: SourceConfig, site: SiteConfig, known: str | None,
              validators: tuple[str, str], config: FetchConfig, session: Web) -> _WebRead:
    """The listing at the source's URL and up to `max_pages - 1` pages it links as "next"."""
    allowed = source.allowed_origins()
    try:
        page = _get(source, session, source.url, config, allowed, validators)
        if page.not_modified:
            return _WebRead(unchanged=True)
        fingerprint = _fingerprint(page.body, _settings(source, site))
        if known == fingerprint:  # the same body as the last merged one
            return _WebRead(True, fingerprint, (page.etag, page.last_modified))
        items, problems, following = listing.parse_listing(page.body, page.url, source, site,
                                                           page.content_type)
    except SourceError as failure:
        return _WebRead(failure=failure)
    more, more_problems = _next_pages(source, site, config, session, allowed, following,
                                      {source.url, page.url})
    return _WebRead(False, fingerprint, (page.etag, page.last_modified), (*items, *more),
                    (*problems, *more_problems))


def _take_web(harvest: Harvest, source: SourceConfig, site: SiteConfig, read: _WebRead) -> None:
    """What reading one web source adds to the harvest."""
    if read.failure is not None:
        harvest.failures.append(read.failure)
        if isinstance(read.failure, EmptyListing):
            harvest.reads.append(ListingRead(source.url, source.name, 0))
        return
    if read.unchanged:
        harvest.files_unchanged += 1
        if read.fingerprint:
            harvest.fingerprints[source.url] = read.fingerprint
            harvest.validators[source.url] = read.validators
        return
    health = listing_read(source.url, source.name, list(read.items), list(read.problems))
    harvest.reads.append(health)
    harvest.files_read += 1
    if harvest.held_back(health):
        return
    # Validators only for a page that was merged: a page that failed is fetched whole next time.
    harvest.fingerprints[source.url] = read.fingerprint
    harvest.validators[source.url] = read.validators
    harvest.problems.extend(read.problems)
    for item in read.items:
        harvest.add(item, f"{source.url} item {item.line}", source, site)
    harvest.end_file()


def _next_pages(source: SourceConfig, site: SiteConfig, config: FetchConfig,
                session: Web, allowed: frozenset[str], following: str | None,
                visited: set[str]) -> tuple[list[ListedItem], list[Problem]]:
    """The items of up to `max_pages - 1` pages the listing links as "next", each within the
    allowed origins; a page that fails ends the walk, keeping the pages before it."""
    items: list[ListedItem] = []
    problems: list[Problem] = []
    for number in range(2, source.max_pages + 1):
        if not following or following in visited:
            break
        if not is_http_url(following) or origin(following) not in allowed:
            problems.append(Problem(f"{following} (page {number})", "a next page outside "
                                    f"{', '.join(sorted(allowed))} is not followed (see "
                                    "allow_origins); the pages before it are used"))
            break
        visited.add(following)
        try:
            more = _get(source, session, following, config, allowed)
            extra, extra_problems, following = listing.parse_listing(
                more.body, more.url, source, site, more.content_type)
        except SourceError as failure:
            problems.append(Problem(f"{following} (page {number})", f"{failure}; the pages "
                                                                    "before it are used"))
            break
        items += extra
        problems += extra_problems
    return items, problems


def _get(source: SourceConfig, session: Web, url: str, config: FetchConfig,
         allowed: frozenset[str], validators: tuple[str, str] = ("", "")) -> Fetched:
    """A page of a web source: fetched, or loaded in a browser for `render = "browser"`; in
    either case only where robots.txt allows."""
    if source.render:
        from feedsmith.sources.render import render

        with session.gate.slot(url):
            return render(source, url, config, allowed, session.robots)
    return session.fetch(url, source.name, allowed, validators)


def listing_read(key: str, source: str, items: list[ListedItem],
                 problems: list[Problem]) -> ListingRead:
    """The figures of one listing's read, for its health (see `feedsmith.sources.health`)."""
    return ListingRead(key, source, len(items), len(problems),
                       links=sum(1 for item in items if item.link),
                       summaries=sum(1 for item in items if item.summary),
                       categories=sum(1 for item in items if item.category))


def expand_paths(source: SourceConfig) -> list[Path]:
    """The files a source names, each pattern's matches in sorted order, without repeats."""
    paths: dict[Path, None] = {}
    for pattern in source.paths:
        matches = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
        paths.update((Path(m), None) for m in matches if os.path.isfile(m))
    return list(paths)


def _settings(source: SourceConfig, site: SiteConfig) -> bytes:
    """Everything besides a file's bytes that shapes its entries (settings, version)."""
    return f"{__version__}\x1f{source_settings(source, site)}".encode()


def _fingerprint(raw: bytes, settings: bytes) -> str:
    """Changes when the file or anything that shapes its entries changes."""
    return hashlib.sha256(settings + b"\x00" + raw).hexdigest()


# A file changed this recently may be changed again within the same tick of the file system's
# clock, leaving its times as they were: its signature is not trusted ("racy git").
_SETTLED_NS = 2_000_000_000


def stat_signature(path: Path, shaping: str) -> str:
    """The file as `stat` sees it (size, modification and change times, inode, device) and a
    digest of the settings that shape its entries, or "" for a file changed in the last two
    seconds. Equal signatures mean an unchanged file, as make, rsync and git trust: any write
    moves the change time, which not even `touch` can set back."""
    status = os.stat(path)
    if time.time_ns() - max(status.st_mtime_ns, status.st_ctime_ns) < _SETTLED_NS:
        return ""
    return (f"{status.st_size}:{status.st_mtime_ns}:{status.st_ctime_ns}:{status.st_ino}:"
            f"{status.st_dev}:{shaping}")
