"""Reading sources without touching the store or the output folder: `feedsmith check` for a
config, `feedsmith init` for a listing that has none yet (it detects the format, the date
language and, for an HTML page, selectors, and writes a commented starter config)."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from feedsmith.cleantext import clean
from feedsmith.config import Config, FetchConfig, SiteConfig, SourceConfig
from feedsmith.config.model import OUTPUT_DIR, OutputConfig, default
from feedsmith.dates import DATE_LANGUAGES, parse_date_line
from feedsmith.entry import Entry
from feedsmith.errors import ConfigError, Problem, SourceError
from feedsmith.sources.cards import Guess, guess_selectors, short_text
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
    missing: tuple[str, ...] = ()  # optional selector keys the page's cards did not show
    render: str = ""  # "browser": read as headless Chromium shows it


def detect(target: str, config_folder: Path, render: str = "") -> Detected:
    """Read `target` (a URL or a file; with `render = "browser"`, a URL as headless Chromium
    shows it) and find how to read it: the language its date lines are in and, for an HTML page
    that does not read as a plain listing, CSS selectors."""
    raw, content_type, where = _load(target, config_folder, render)
    kind = detect_format(raw, content_type)
    site = SiteConfig("Preview", "https://example.org/", "https://example.org/",
                      "example.org,2024", ZoneInfo("UTC"))
    page = _html_page(raw, content_type, target) if kind == "html" else None
    language = _date_language(raw, kind, page)
    plain = SourceConfig(name="new", language=language, format=kind)
    guess = Guess()
    if page is not None and not _count(raw, where, plain, site, content_type):
        guess = guess_selectors(page, language)
        if not guess.selectors:
            raise SourceError(f"{target}: no news items found: neither numbered items nor "
                              "repeated blocks each holding a date (such as \"01 December "
                              "2023\" or a <time datetime>); if a script adds its items, try "
                              "`feedsmith init --render browser URL`; else give "
                              "[sources.selectors] by hand")
    source = SourceConfig(name="new", language=language, format=kind, selectors=guess.selectors)
    try:
        items, problems, _ = parse_listing(raw, where, source, site, content_type)
    except SourceError as error:
        raise SourceError(f"{target}: no listing items found in it as {kind}: {error}") from None
    return Detected(where, kind, language, guess.selectors, items, problems,
                    _page_title(raw, kind, page), guess.missing, render)


def _html_page(raw: bytes, content_type: str, target: str) -> Any:
    """The page as lxml reads it, decoded as the HTML reader decodes it (a UTF-8 page without
    `<meta charset>` is UTF-8, not Latin-1)."""
    from lxml import etree, html

    try:
        return html.document_fromstring(decode_html(raw, content_type))
    except (ValueError, etree.ParserError) as error:
        raise SourceError(f"{target}: not an HTML page with any content: {error}") from None


def _date_language(raw: bytes, kind: str, page: Any) -> str:
    """The language in which most of the page's lines are dates ("en" when none are)."""
    if kind == "feed":
        return "en"  # feed dates are RFC 822 / ISO 8601 whatever the language
    if page is not None:
        texts = [short_text(element) for element in page.iter() if isinstance(element.tag, str)]
    else:
        texts = raw.decode("utf-8", errors="replace").splitlines()
    lines = [text.strip() for text in texts if text.strip()[-4:].isdigit()]
    counts = {lang: sum(parse_date_line(line, lang) is not None for line in lines)
              for lang in DATE_LANGUAGES}
    return max(DATE_LANGUAGES, key=lambda lang: (counts[lang], lang == "en"))


def _load(target: str, config_folder: Path, render: str) -> tuple[bytes, str, str]:
    fetch_config = FetchConfig(user_agent="feedsmith init", retries=0)
    if render and not is_http_url(target):
        raise SourceError(f"{target}: --render browser loads a page from the web: give its URL")
    if render:
        from feedsmith.sources.render import render as load_in_browser

        source = SourceConfig(name="init", url=target, render=render)
        page = load_in_browser(source, target, fetch_config, {origin(target)})
        return page.body, page.content_type, target
    if is_http_url(target):
        from feedsmith.sources.fetch import client, fetch

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


def _page_title(raw: bytes, kind: str, page: Any) -> str:
    if kind == "text":
        first = next((line.strip() for line in raw.decode("utf-8", "replace").splitlines()
                      if line.strip()), "")
        return clean(first)[:100]
    from lxml import etree

    tree = page
    if tree is None:
        with contextlib.suppress(ValueError, etree.XMLSyntaxError):
            tree = etree.fromstring(raw, etree.XMLParser(resolve_entities=False,
                                                         no_network=True, recover=True))
    for element in tree.iter() if tree is not None else ():
        if isinstance(element.tag, str) and element.tag.rpartition("}")[2] == "title":
            return clean(element.text or "")[:100]
    return ""


def _toml(text: str) -> str:
    """`text` as a TOML basic string: JSON's escapes are TOML's (DEL, which TOML also refuses
    raw and a page title may hold, is dropped)."""
    return json.dumps(text.replace("\x7f", ""), ensure_ascii=False)


# For the optional selectors a page's cards did not show: an example, and what it finds.
_HINTS = {
    "category": ("span.category", "each item's category, inside the item"),
    "summary": ("p.summary", "each item's teaser or summary, inside the item"),
    "image": ("img", "each item's picture, inside the item"),
}


def starter_config(found: Detected, today: date) -> str:
    """A commented config.toml for the detected listing: it loads as it is, and says what to
    change before publishing."""
    title = found.title or "My listing"
    is_url = is_http_url(found.location)
    lines = [
        f"# feedsmith config, written by `feedsmith init` on {today:%Y-%m-%d} for",
        f"# {found.location}. Change what is marked CHANGE; then `feedsmith check` shows what",
        "# the source gives and `feedsmith build` writes the feeds. The README lists every key.",
        "",
        "[site]",
        f"title = {_toml(title)}",
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
        f"url = {_toml(found.location)}" if is_url else f"paths = [{_toml(found.location)}]",
        f'format = "{found.kind}"  # detected',
        f'language = "{found.language}"  # of its dates (detected)',
        'fallback_category = "News"  # for items listed without a category',
    ]
    if found.render:
        item = dict(found.selectors).get("item", "")
        lines += [f"render = {_toml(found.render)}  # its items are added by a script"]
        lines += [f"wait_for = {_toml(item)}  # read once this matches"] if item else []
    if found.selectors:
        lines += ["", f"# CSS selectors that found {len(found.items)} items: check them",
                  "[sources.selectors]"]
        lines += [f"{key} = {_toml(value)}" for key, value in found.selectors]
        lines += [f"# {key} = {_toml(_HINTS[key][0])}  # not found: {_HINTS[key][1]}"
                  for key in found.missing]
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
