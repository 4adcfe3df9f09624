"""Reading sources without touching the store or the output folder: `feedsmith check` for a
config, `feedsmith init` for a listing that has none yet (it detects the format, the date
language and, for an HTML page, selectors, and writes a commented starter config)."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from feedsmith.config import Config, FetchConfig, SiteConfig, SourceConfig
from feedsmith.config.model import OUTPUT_DIR, OutputConfig, default
from feedsmith.dates import DATE_LANGUAGES, parse_date_line
from feedsmith.entry import Entry
from feedsmith.errors import ConfigError, Problem, SourceError
from feedsmith.sources.decoding import decode_html
from feedsmith.sources.harvest import Harvest, read_sources
from feedsmith.sources.item import ListedItem
from feedsmith.sources.listing import detect_format, parse_listing
from feedsmith.urls import is_http_url, origin


@dataclass(slots=True)
class SourcePreview:
    name: str
    entries: list[Entry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    failures: list[SourceError] = field(default_factory=list)


# What `init` writes where only the user can know the answer (see `placeholders`).
PLACEHOLDER_BASE_URL = "https://feeds.example.org/"
PLACEHOLDER_DOMAIN = "example.org"


def placeholders(config: Config) -> list[str]:
    """The settings still as `init` wrote them, which must change before anything is published:
    ids made under a borrowed domain can never be changed afterwards."""
    found = []
    if config.site.base_url == PLACEHOLDER_BASE_URL:
        found.append(f"[site] base_url is still the placeholder {PLACEHOLDER_BASE_URL!r}: set "
                     "where the output folder will be published (feeds link to it)")
    if config.site.id_authority.split(",")[0] == PLACEHOLDER_DOMAIN:
        found.append(f"[site] id_authority is still the placeholder {config.site.id_authority!r}:"
                     " set a domain you own, before the first build (every entry id is made "
                     "from it, and ids never change)")
    return found


def check_sources(config: Config) -> list[SourcePreview]:
    """What each source gives now, as a build would read it (URLs are fetched, unconditionally)."""
    previews = []
    for source in config.sources:
        harvest: Harvest = read_sources((source,), config.site, None, config.fetch, None)
        previews.append(SourcePreview(source.name, harvest.entries, harvest.problems,
                                      harvest.failures))
    return previews




class Detected(NamedTuple):
    """What `init` found out about a listing."""

    location: str  # the URL, or the file path as the config will name it
    kind: str  # "text", "html" or "feed"
    language: str
    selectors: tuple[tuple[str, str], ...]
    items: list[ListedItem]
    problems: list[Problem]
    title: str  # a title for the site, from the page if it has one


def detect(target: str, config_folder: Path) -> Detected:
    """Read `target` (a URL or a file) and find how to read it: the language its date lines are
    in and, for an HTML page that does not read as a plain listing, CSS selectors."""
    raw, content_type, where = _load(target, config_folder)
    kind = detect_format(raw, content_type)
    site = SiteConfig("Preview", "https://example.org/", "https://example.org/",
                      "example.org,2024", ZoneInfo("UTC"))
    language = _date_language(raw, kind, content_type)
    plain = SourceConfig(name="new", language=language, format=kind)
    selectors: tuple[tuple[str, str], ...] = ()
    if kind == "html" and not _count(raw, where, plain, site, content_type):
        selectors = _guess_selectors(decode_html(raw, content_type), language)
    source = SourceConfig(name="new", language=language, format=kind, selectors=selectors)
    try:
        items, problems, _ = parse_listing(raw, where, source, site, content_type)
    except SourceError as error:
        raise SourceError(f"{target}: no listing items found in it as {kind}: {error}") from None
    return Detected(where, kind, language, selectors, items, problems, _page_title(raw, kind))


def _guess_selectors(page_text: str, language: str) -> tuple[tuple[str, str], ...]:
    """Selectors for a page whose items are repeated blocks each holding one date: the dates
    are the elements whose whole text is a date line; an item is the largest block around a
    date that holds no other date; its title is its first link (else its first heading)."""
    from collections import Counter

    from lxml import html

    page = html.document_fromstring(page_text)
    dates = [element for element in page.iter() if isinstance(element.tag, str)
             and (element.get("datetime") or parse_date_line(
                 " ".join(element.text_content().split()), language))
             and not any(parse_date_line(" ".join(child.text_content().split()), language)
                         for child in element)]
    items: Counter[tuple[str, str, str]] = Counter()
    for date_element in dates:
        block = date_element
        while (parent := block.getparent()) is not None and sum(
                1 for d in dates if d in parent.iter()) == 1:
            block = parent
        title = next(block.iter("a"), None)
        if title is None:
            title = next(block.iter("h2", "h3", "h4"), None)
        if block is not date_element and title is not None:
            items[(_selector(block), _selector(title), _selector(date_element))] += 1
    if not items:
        return ()
    (item, title, when), _ = items.most_common(1)[0]
    return (("item", item), ("title", title), ("date", when))


def _selector(element: Any) -> str:
    """`tag.class` (its first class), or the tag alone."""
    classes = (element.get("class") or "").split()
    return f"{element.tag}.{classes[0]}" if classes else str(element.tag)


def _date_language(raw: bytes, kind: str, content_type: str) -> str:
    """The language in which most of the page's lines are dates ("en" when none are)."""
    if kind == "feed":
        return "en"  # feed dates are RFC 822 / ISO 8601 whatever the language
    if kind == "html":
        from lxml import html

        page = html.document_fromstring(decode_html(raw, content_type))
        texts = [" ".join(element.text_content().split()) for element in page.iter()
                 if isinstance(element.tag, str)]
    else:
        texts = raw.decode("utf-8", errors="replace").splitlines()
    lines = [text.strip() for text in texts if text.strip()[-4:].isdigit()]
    counts = {lang: sum(parse_date_line(line, lang) is not None for line in lines)
              for lang in DATE_LANGUAGES}
    return max(DATE_LANGUAGES, key=lambda lang: (counts[lang], lang == "en"))


def _load(target: str, config_folder: Path) -> tuple[bytes, str, str]:
    if is_http_url(target):
        from feedsmith.sources.fetch import client, fetch

        fetch_config = FetchConfig(user_agent="feedsmith init", retries=0)
        with client(fetch_config) as session:
            page = fetch(session, target, fetch_config, "init", {origin(target)})
        return page.body, page.content_type, target
    path = Path(target)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"{target}: cannot read: {exc.strerror}") from None
    resolved, folder = path.resolve(), config_folder.resolve()
    # Relative to the config when beside or below it (the project moves as one), else absolute.
    return raw, "", str(resolved.relative_to(folder) if resolved.is_relative_to(folder)
                        else resolved)


def _count(raw: bytes, where: str, source: SourceConfig, site: SiteConfig,
           content_type: str) -> int:
    with contextlib.suppress(SourceError):
        return len(parse_listing(raw, where, source, site, content_type)[0])
    return 0


def _page_title(raw: bytes, kind: str) -> str:
    if kind == "text":
        first = next((line.strip() for line in raw.decode("utf-8", "replace").splitlines()
                      if line.strip()), "")
        return first[:100]
    from lxml import etree, html

    with contextlib.suppress(ValueError, etree.ParserError, etree.XMLSyntaxError):
        tree = html.document_fromstring(raw) if kind == "html" else etree.fromstring(
            raw, etree.XMLParser(resolve_entities=False, no_network=True, recover=True))
        for element in tree.iter():
            if isinstance(element.tag, str) and element.tag.rpartition("}")[2] == "title":
                return " ".join((element.text or "").split())[:100]
    return ""


def starter_config(found: Detected, today: date) -> str:
    """A commented config.toml for the detected listing: it loads as it is, and says what to
    change before publishing."""
    title = found.title.replace("\\", "").replace('"', "'") or "My listing"
    is_url = is_http_url(found.location)
    lines = [
        f"# feedsmith config, written by `feedsmith init` on {today:%Y-%m-%d} for",
        f"# {found.location}. Change what is marked CHANGE; then `feedsmith check` shows what",
        "# the source gives and `feedsmith build` writes the feeds. The README lists every key.",
        "",
        "[site]",
        f'title = "{title}"',
        f'link = "{found.location if is_url else "https://example.org/news"}"'
        + ("" if is_url else "  # CHANGE: the page people read"),
        f'base_url = "{PLACEHOLDER_BASE_URL}"  # CHANGE: where the output folder is published',
        (f'id_authority = "{PLACEHOLDER_DOMAIN},{today.year}"  # CHANGE: a domain you own; '
         "keep it forever"),
        'timezone = "UTC"  # CHANGE: the IANA zone the listing\'s dates are meant in',
        f'language = "{found.language}"',
        "",
        "[[sources]]",
        'name = "listing"',
        f'url = "{found.location}"' if is_url else f'paths = ["{found.location}"]',
        f'format = "{found.kind}"  # detected',
        f'language = "{found.language}"  # of its dates (detected)',
        'fallback_category = "News"  # for items listed without a category',
    ]
    if found.selectors:
        lines += ["", f"# CSS selectors that found {len(found.items)} items: check them",
                  "[sources.selectors]"]
        lines += [f'{key} = "{value}"' for key, value in found.selectors]
    lines += ["", "[output]", f'dir = "{OUTPUT_DIR}"',
              f"max_entries = {default(OutputConfig, 'max_entries')}", ""]
    return "\n".join(lines)


def write_new(path: Path, text: str) -> None:
    """Create `path` with `text`; ConfigError if it exists (an existing config is never lost)."""
    try:
        with path.open("x", encoding="utf-8") as handle:
            handle.write(text)
    except FileExistsError:
        raise ConfigError(f"{path}: already exists; `feedsmith init` never overwrites a config "
                          "(pass --config OTHER.toml to write another)") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot write: {exc.strerror}") from None
