"""An item's own page -> its article: the main text (sanitised HTML), lead picture, times,
author, language and a teaser (what `follow = true` keeps of each page, see
`feedsmith.sources.follow`).

The main text comes from trafilatura, the extractor with the best scores in the published
comparisons (ScrapingHub's article-extraction benchmark, Bevendorff et al. 2023), kept up by
its author since 2019, and made of lxml like the rest of feedsmith: it leaves out navigation,
cookie banners, share buttons and footers, and keeps headings, lists, quotes, tables, links
and pictures. The metadata are read here, in the order publishers state them precisely:
JSON-LD (`datePublished`, `dateModified`, `author`, `image`), then Open Graph and article
meta tags, then `<time datetime>` and `<html lang>`; trafilatura's own metadata keep only the
day.

What reaches a feed passes one allow-list (`sanitised`, nh3): no script, style, form, frame or
event attribute, only http(s) and mailto links, every link and picture absolute.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

from feedsmith.dates import language_tag
from feedsmith.sources.decoding import decode_html
from feedsmith.urls import is_http_url

if TYPE_CHECKING:
    from lxml.html import HtmlElement

# The most of an article kept (characters of sanitised HTML): a page, not a book.
CONTENT_LIMIT = 200_000
TEASER_LIMIT = 300  # characters of a teaser made from the text, cut at a sentence or word
_SHORTEST_TEASER = 60  # ... at a sentence if that leaves at least this many
_SMALLEST_PICTURE = 200  # px: a lead picture found in the text is at least this wide if sized

_TAGS = {"p", "a", "br", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote", "q",
         "em", "strong", "b", "i", "u", "s", "sub", "sup", "small", "mark", "code", "pre",
         "figure", "figcaption", "img", "table", "thead", "tbody", "tfoot", "tr", "th", "td",
         "caption", "dl", "dt", "dd", "hr", "abbr", "cite", "time"}
_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "width", "height"},
               "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan", "scope"},
               "abbr": {"title"}, "time": {"datetime"}}
_URL_ATTRIBUTES = {("a", "href"), ("img", "src")}
_ARTICLE_TYPES = {"article", "newsarticle", "blogposting", "report", "pressrelease",
                  "reportagenewsarticle", "analysisnewsarticle", "scholarlyarticle"}


class Article(NamedTuple):
    """What an item's page gives, each "" (or None) where it gives nothing."""

    # The main text as sanitised HTML, links and pictures absolute, in a `<div lang>` where the
    # page states its language (the item's title and summary may be in the listing's).
    content: str = ""
    teaser: str = ""  # plain text: the page's description, else its text's opening
    image: str = ""  # absolute http(s) URL of the lead picture, and its alt text
    image_alt: str = ""
    published: datetime | None = None  # with a time of day and a zone, or None
    modified: datetime | None = None
    author: str = ""
    language: str = ""  # BCP 47


def read_article(body: bytes, url: str, content_type: str, zone: ZoneInfo) -> Article:
    """The article on the page `body` fetched from `url`; times stated without an offset are
    read in `zone` (the site's)."""
    import lxml.html

    text = decode_html(body, content_type)
    try:
        page = lxml.html.document_fromstring(text)
    except (ValueError, lxml.etree.ParserError):
        return Article()
    found = _Metadata(page, url, zone)
    content = _main_text(text, url)
    image, image_alt = found.image()
    if not image and content:
        image, image_alt = _first_large_picture(content, page, url)
    language = found.language()
    teaser = found.teaser() or _opening(content)
    if content and language:
        content = f'<div lang="{language}">\n{content}\n</div>'
    return Article(content=content, teaser=teaser, image=image, image_alt=image_alt,
                   published=found.time("published"), modified=found.time("modified"),
                   author=found.author(), language=language)


def sanitised(markup: str, base: str) -> str:
    """HTML that may go into a feed: the allow-list's tags and attributes only, every link and
    picture absolute against `base` and http(s) (links also mailto), or dropped."""
    import nh3

    def absolute(tag: str, attribute: str, value: str) -> str | None:
        if (tag, attribute) not in _URL_ATTRIBUTES:
            return value
        target = urljoin(base, value.strip())
        if is_http_url(target) or (tag == "a" and target.lower().startswith("mailto:")):
            return target
        return None

    return nh3.clean(markup, tags=_TAGS, attributes=_ATTRIBUTES, attribute_filter=absolute,
                     url_schemes={"http", "https", "mailto"}, link_rel=None,
                     strip_comments=True).strip()


def _main_text(text: str, url: str) -> str:
    """The page's main text as sanitised HTML, without the heading that repeats its title."""
    import trafilatura

    # No `deduplicate`: its memory of paragraphs spans calls, so a page read after another
    # with the same paragraph would lose it (and a long-running service, its output's bytes).
    extracted = trafilatura.extract(text, url=url, output_format="html", include_images=True,
                                    include_links=True, include_tables=True,
                                    include_comments=False)
    if not extracted:
        return ""
    import lxml.html

    body = lxml.html.fromstring(extracted).find("body")
    if body is None:
        return ""
    first = next(iter(body), None)
    if first is not None and first.tag == "h1":  # the item's title, which readers show already
        body.remove(first)
    for heading in body.iter("h1"):  # the title is the page's only first-level heading
        heading.tag = "h2"
    for child in body:
        child.tail = "\n"  # a block a line, whatever the extractor's indentation
    markup = "".join(lxml.html.tostring(child, encoding="unicode") for child in body)
    return sanitised(markup[:CONTENT_LIMIT], url)


def _first_large_picture(content: str, page: HtmlElement, url: str) -> tuple[str, str]:
    """The first picture in the text that the page does not mark as small (an icon, a logo;
    the extractor drops sizes, so they are read from the page)."""
    import lxml.html

    widths = {urljoin(url, (img.get("src") or "").strip()): img.get("width", "")
              for img in page.iter("img")}
    for picture in lxml.html.fragment_fromstring(content, create_parent="div").iter("img"):
        width = picture.get("width") or widths.get(picture.get("src", ""), "")
        if not width.isdigit() or int(width) >= _SMALLEST_PICTURE:
            return picture.get("src", ""), (picture.get("alt") or "").strip()
    return "", ""


def _opening(content: str) -> str:
    """A teaser from the text: its first paragraph's first sentences, up to TEASER_LIMIT."""
    if not content:
        return ""
    import lxml.html

    for paragraph in lxml.html.fragment_fromstring(content, create_parent="div").iter("p"):
        words = " ".join(paragraph.text_content().split())
        if len(words.split()) >= 6:
            return _shortened(words)
    return ""


def _shortened(text: str) -> str:
    """`text` up to TEASER_LIMIT characters: cut after its last whole sentence that fits (if
    that leaves a teaser), else at a word, with "…"."""
    if len(text) <= TEASER_LIMIT:
        return text
    cut = text[:TEASER_LIMIT + 1]
    sentence_end = max(cut.rfind(mark) for mark in (". ", "! ", "? "))
    if sentence_end >= _SHORTEST_TEASER:
        return cut[:sentence_end + 1]
    return cut[:TEASER_LIMIT].rsplit(" ", 1)[0] + "…"


class _Metadata:
    """What a page says about its article in JSON-LD, meta tags and markup."""

    def __init__(self, page: HtmlElement, url: str, zone: ZoneInfo) -> None:
        self._page = page
        self._url = url
        self._zone = zone
        self._meta: dict[str, str] = {}
        for tag in page.iter("meta"):
            key = (tag.get("property") or tag.get("name") or tag.get("itemprop") or "").lower()
            value = (tag.get("content") or "").strip()
            if key and value:
                self._meta.setdefault(key.strip(), value)
        self._linked = _linked_data(page)

    def time(self, which: str) -> datetime | None:
        """When the article was published or last modified, where the page gives a time of day."""
        keys = {"published": ("datePublished", "article:published_time", "dateCreated"),
                "modified": ("dateModified", "article:modified_time", "og:updated_time")}[which]
        candidates = [self._linked.get(keys[0]), self._meta.get(keys[1]),
                      self._meta.get(keys[0].lower()), self._meta.get(keys[2].lower()),
                      self._linked.get(keys[2])]
        if which == "published":
            candidates += [element.get("datetime") for element in self._page.iter("time")]
        for value in candidates:
            moment = _moment(value, self._zone)
            if moment is not None:
                return moment
        return None

    def image(self) -> tuple[str, str]:
        for key in ("og:image:secure_url", "og:image", "og:image:url", "twitter:image",
                    "twitter:image:src"):
            if key in self._meta:
                address = urljoin(self._url, self._meta[key])
                if is_http_url(address):
                    alt = self._meta.get("og:image:alt") or self._meta.get("twitter:image:alt", "")
                    return address, " ".join(alt.split())
        address = _text_of(self._linked.get("image"), "url")
        if address and is_http_url(urljoin(self._url, address)):
            return urljoin(self._url, address), ""
        return "", ""

    def author(self) -> str:
        named = _text_of(self._linked.get("author"), "name")
        for value in (named, self._meta.get("author"), self._meta.get("article:author"),
                      self._meta.get("dc.creator")):
            value = " ".join((value or "").split())
            if value and not is_http_url(value):  # article:author is often a profile's URL
                return value[:200]
        return ""

    def teaser(self) -> str:
        for value in (self._meta.get("og:description"), self._meta.get("description"),
                      self._meta.get("twitter:description"),
                      _text_of(self._linked.get("description"), "")):
            text = " ".join((value or "").split())
            if text:
                return _shortened(text)
        return ""

    def language(self) -> str:
        for value in (self._page.get("lang"), self._linked.get("inLanguage"),
                      self._meta.get("og:locale"), self._meta.get("content-language")):
            if isinstance(value, str) and value.strip():
                tag = language_tag(value.strip().replace("_", "-"))
                if tag:
                    return tag
        return ""


def _linked_data(page: HtmlElement) -> dict[str, Any]:
    """The page's JSON-LD object for its article (the first of an article type, else the first
    object with a publication date), or {}."""
    found: list[dict[str, Any]] = []
    for script in page.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        try:
            data = json.loads(script.text or "", strict=False)
        except ValueError:
            continue
        found += _objects(data)
    return (next((o for o in found if _types(o) & _ARTICLE_TYPES), None)
            or next((o for o in found if "datePublished" in o), {}))


def _objects(data: Any) -> list[dict[str, Any]]:
    """Every JSON-LD object in `data`, `@graph`s unrolled."""
    if isinstance(data, list):
        return [o for item in data for o in _objects(item)]
    if isinstance(data, dict):
        return [data, *_objects(data.get("@graph", []))]
    return []


def _types(thing: dict[str, Any]) -> set[str]:
    kinds = thing.get("@type", [])
    return {str(k).lower() for k in (kinds if isinstance(kinds, list) else [kinds])}


def _text_of(value: Any, key: str) -> str:
    """A JSON-LD value as text: a string, the `key` of an object, or of a list's first item."""
    if isinstance(value, list):
        value = value[0] if value else ""
    if isinstance(value, dict):
        value = value.get(key, "") if key else ""
    return value.strip() if isinstance(value, str) else ""


_TIME_OF_DAY = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def _moment(value: Any, zone: ZoneInfo) -> datetime | None:
    """An ISO 8601 date and time ("2023-11-30T09:14:00+01:00"; without an offset, in `zone`);
    None for a date without a time, which says no more than the listing does."""
    if not isinstance(value, str) or not _TIME_OF_DAY.match(value.strip()):
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("z", "Z"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment if date(1990, 1, 1) <= moment.date() <= date(2200, 1, 1) else None

