"""HTML listing pages: read with the configured CSS selectors, or, with none, rendered as text
(Inscriptis keeps list numbering and indentation) and read by the text listing reader, so an
ILO-style page works with no configuration. Links are made absolute against the page's URL."""

from __future__ import annotations

import contextlib
import re
from datetime import date
from typing import Any
from urllib.parse import urljoin

import lxml.html
from inscriptis import get_text

from feedsmith.cleantext import clean
from feedsmith.dates import parse_date_line
from feedsmith.errors import Problem, SourceError
from feedsmith.sources.item import ListedItem
from feedsmith.sources.text import read_text_listing

_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_NEXT_WORDS = {"next", "next page", "next ›", "next »", "›", "»", "suivant", "page suivante",
               "siguiente", "página siguiente"}


def read_html_listing(body: str, url: str, language: str,
                      selectors: dict[str, str]) -> tuple[list[ListedItem], list[Problem],
                                                          str | None]:
    """The page's items, the items left out, and the URL of its next page (if it links one).

    `body` is already decoded (see `feedsmith.sources.decoding`)."""
    body = _XML_DECLARATION.sub("", body, count=1)  # lxml refuses one in a decoded page
    try:
        page = lxml.html.document_fromstring(body, base_url=url)
    except (ValueError, lxml.etree.ParserError) as exc:
        raise SourceError(f"{url}: not an HTML page: {exc}") from None
    base = next((urljoin(url, b.get("href", "")) for b in page.iter("base")), url)
    page.make_links_absolute(url, resolve_base_href=True)
    following = _next_page(page)
    if selectors:
        items, problems = _by_selectors(page, url, base, language, selectors)
    else:
        items, problems = _as_text(page, url, language)
    return items, problems, following


def _as_text(page: Any, url: str, language: str) -> tuple[list[ListedItem], list[Problem]]:
    text = get_text(lxml.html.tostring(page, encoding="unicode"))
    items, problems = read_text_listing(text, url, language, other_layouts=False)
    links = {clean(a.text_content()): a.get("href", "") for a in page.iter("a")}
    return [_with_link(item, links.get(item.title, "")) for item in items], problems


def _with_link(item: ListedItem, link: str) -> ListedItem:
    return item._replace(link=link)


def _by_selectors(page: Any, url: str, base: str, language: str,
                  selectors: dict[str, str]) -> tuple[list[ListedItem], list[Problem]]:
    """Items by the configured CSS selectors; `base` resolves what lxml leaves relative
    (data-src, srcset)."""
    items: list[ListedItem] = []
    problems: list[Problem] = []
    for number, element in enumerate(page.cssselect(selectors["item"]), start=1):
        where = f"{url} item {number}"

        def first(key: str, element: Any = element) -> Any:
            found = element.cssselect(selectors[key]) if key in selectors else []
            return found[0] if found else None

        title_element, date_element = first("title"), first("date")
        title = clean(title_element.text_content()) if title_element is not None else ""
        day = _date_of(date_element, language)
        if not title or day is None:
            what = "title" if not title else "date such as \"01 December 2023\""
            problems.append(Problem(where, f"no {what} found with the configured selectors; "
                                           "left out"))
            continue
        link_element = first("link")
        if link_element is None and title_element is not None:
            anchors = [title_element] if title_element.tag == "a" else title_element.iter("a")
            link_element = next(iter(anchors), None)
        category, summary = first("category"), first("summary")
        image, image_alt = _picture(first("image"), base)
        items.append(ListedItem(
            line=number, title=title, day=day,
            category=clean(category.text_content()) or None if category is not None else None,
            summary=clean(summary.text_content()) if summary is not None else "",
            link=link_element.get("href", "") if link_element is not None else "",
            image=image, image_alt=image_alt))
    return items, problems


def _picture(element: Any, url: str) -> tuple[str, str]:
    """The absolute URL and alt text of the `image` selector's <img> (or the first inside it).

    Lazy-loading pages put the real URL in `data-src` (or `data-srcset`) and a placeholder in
    `src`; a `srcset` gives the largest candidate."""
    if element is None:
        return "", ""
    image = element if element.tag == "img" else next(element.iter("img"), None)
    if image is None:
        return "", ""
    candidates = [image.get("data-src"), image.get("src"),
                  _largest(image.get("data-srcset")), _largest(image.get("srcset"))]
    for candidate in candidates:
        if candidate and not candidate.strip().startswith("data:"):
            return urljoin(url, candidate.strip()), clean(image.get("alt", ""))
    return "", ""


def _largest(srcset: str | None) -> str:
    """The widest candidate of a srcset ("a.jpg 480w, b.jpg 800w" -> "b.jpg")."""
    best, best_size = "", -1.0
    for candidate in (srcset or "").split(","):
        parts = candidate.split()
        if not parts:
            continue
        size = 0.0
        if len(parts) > 1 and parts[1][:-1].replace(".", "", 1).isdigit():
            size = float(parts[1][:-1])
        if size > best_size:
            best, best_size = parts[0], size
    return best


def _date_of(element: Any, language: str) -> date | None:
    """A `datetime` attribute (as <time> has) if it holds an ISO date, else the element's text."""
    if element is None:
        return None
    with contextlib.suppress(ValueError):
        return date.fromisoformat(element.get("datetime", "")[:10])
    return parse_date_line(clean(element.text_content()), language)


def _next_page(page: Any) -> str | None:
    for anchor in page.iter("a", "link"):
        if "next" in (anchor.get("rel") or "").split() and anchor.get("href"):
            return str(anchor.get("href"))
    for anchor in page.iter("a"):
        if clean(anchor.text_content()).casefold() in _NEXT_WORDS and anchor.get("href"):
            return str(anchor.get("href"))
    return None
