"""What `init` proposes for an HTML page of cards: CSS selectors for each item's element and,
inside it, its title, date, category, summary and picture.

A date is an element whose whole text is a date line, or a `<time datetime>` (preferred: it is
the innermost); a card is the largest element around one date that holds no other date. The
shape most dates sit in wins (menus and footers hold no dates, or one). Inside a card:

- the title is a heading's link, else the heading, else the first link with text (so an image
  wrapped in a link before the title is passed over);
- the category is a short badge: an element whose class says so ("category", "tag", "badge",
  "label", "kicker", ...);
- the summary is a teaser-like element ("summary", "teaser", "excerpt", ...) or else the first
  paragraph of some length;
- the picture is the first `<img>`.

Every selector is checked against the card it came from (it must find that very element there
first), and uses only class names CSS can spell as they are: Tailwind's `md:flex` or `w-1/2`
are passed over for the tag. Each step looks at every element once or a few times, so a page of
thousands of cards is guessed in well under a second.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from typing import Any, NamedTuple

from feedsmith.dates import parse_date_line

_PLAIN_CLASS = re.compile(r"-?[_a-zA-Z][_a-zA-Z0-9-]*")
_CATEGORY_CLASS = re.compile(r"categor|tag|badge|label|kicker|topic|eyebrow|rubri|section|type",
                             re.IGNORECASE)
_SUMMARY_CLASS = re.compile(r"summary|teaser|excerpt|lede|lead|desc|intro|standfirst|abstract|"
                            r"snippet|dek", re.IGNORECASE)
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_DATE_TEXT = 48  # characters: longer texts are never a whole date line
_SAMPLE = 30  # cards looked into for the optional fields
_SUMMARY_WORDS = 6


class Guess(NamedTuple):
    """Selectors by key (`item`, `title`, `date`, then those found of `category`, `summary`,
    `image`), and the optional keys not found."""

    selectors: tuple[tuple[str, str], ...] = ()
    missing: tuple[str, ...] = ()


class _Card(NamedTuple):
    element: Any
    title: Any
    date: Any


def guess_selectors(page: Any, language: str) -> Guess:
    """Selectors for a page (an lxml document) whose items are repeated blocks each holding
    one date; an empty Guess when it has none."""
    dates = _date_elements(page, language)
    dates_below: Counter[Any] = Counter()
    for element in dates:
        dates_below.update(element.iterancestors())
    shapes: dict[tuple[str, str, str], list[_Card]] = {}
    for when in dates:
        card = when
        while (parent := card.getparent()) is not None and dates_below[parent] == 1:
            card = parent
        title = _title(card, when) if card is not when else None
        if title is None:
            continue
        title_selector, date_selector = _within(card, title), _within(card, when)
        if title_selector and date_selector:
            shape = (_item_selector(card), title_selector, date_selector)
            shapes.setdefault(shape, []).append(_Card(card, title, when))
    if not shapes:
        return Guess()
    (item, title_selector, date_selector), cards = max(shapes.items(),
                                                       key=lambda shape: len(shape[1]))
    chosen = [("item", item), ("title", title_selector), ("date", date_selector)]
    missing: list[str] = []
    for key, find in (("category", _category), ("summary", _summary), ("image", _image)):
        votes = Counter(selector for card in cards[:_SAMPLE]
                        if (found := find(card)) is not None
                        and (selector := _within(card.element, found)))
        if votes:
            chosen.append((key, votes.most_common(1)[0][0]))
        else:
            missing.append(key)
    return Guess(tuple(chosen), tuple(missing))


def _date_elements(page: Any, language: str) -> list[Any]:
    """The innermost elements whose whole text is a date (or that carry an ISO `datetime`), in
    document order."""
    found: list[Any] = []
    holds_date: set[Any] = set()  # ancestors of a date found
    for element in reversed(list(page.iter())):  # descendants before their ancestors
        if not isinstance(element.tag, str) or element in holds_date:
            continue
        if _is_date(element, language):
            found.append(element)
            holds_date.update(element.iterancestors())
    found.reverse()
    return found


def _is_date(element: Any, language: str) -> bool:
    stamp = element.get("datetime", "")
    if stamp:
        try:
            date.fromisoformat(stamp[:10])
            return True
        except ValueError:
            pass
    text = short_text(element)
    return bool(text) and parse_date_line(text, language) is not None


def short_text(element: Any, limit: int = _DATE_TEXT) -> str:
    """The element's text, whitespace folded, or "" when longer than `limit`: read no further
    than that, so that asking every element of a page costs about the page's size."""
    pieces: list[str] = []
    size = 0
    for piece in element.itertext():
        size += len(piece.strip()) + 1
        if size > limit + 1:
            return ""
        pieces.append(piece)
    return " ".join("".join(pieces).split())


def _text(element: Any) -> str:
    return " ".join(element.text_content().split())


def _title(card: Any, when: Any) -> Any:
    for heading in card.iter(*_HEADINGS):
        if _text(heading) and when not in heading.iter():
            return next((a for a in heading.iter("a") if _text(a)), heading)
    return next((a for a in card.iter("a") if _text(a) and when not in a.iter()), None)


def _category(card: _Card) -> Any:
    for element in _others(card):
        text = _text(element)
        if _CATEGORY_CLASS.search(element.get("class") or "") and text and len(text.split()) <= 5 and len(text) <= 40:
            return element
    return None


def _summary(card: _Card) -> Any:
    candidates = list(_others(card))
    for element in candidates:
        if _SUMMARY_CLASS.search(element.get("class") or "") and \
                len(_text(element).split()) >= _SUMMARY_WORDS:
            return element
    return next((element for element in candidates if element.tag == "p"
                 and len(_text(element).split()) >= _SUMMARY_WORDS), None)


def _image(card: _Card) -> Any:
    return next(card.element.iter("img"), None)


def _others(card: _Card) -> Any:
    """The card's elements that neither hold nor sit inside its title or date."""
    inside = {*card.title.iter(), *card.date.iter()}
    around = {*card.title.iterancestors(), *card.date.iterancestors()}
    for element in card.element.iterdescendants():
        if isinstance(element.tag, str) and element not in inside and element not in around:
            yield element


def _selector(element: Any) -> str:
    """`tag.class` (its first class CSS can spell as it is), or the tag alone."""
    plain = [name for name in (element.get("class") or "").split() if _PLAIN_CLASS.fullmatch(name)]
    return f"{element.tag}.{plain[0]}" if plain else str(element.tag)


def _item_selector(card: Any) -> str:
    """The card's selector; a bare tag is qualified by its parent ("ul.news > li")."""
    own = _selector(card)
    parent = card.getparent()
    if "." in own or parent is None or parent.tag in ("body", "html"):
        return own
    return f"{_selector(parent)} > {own}"


def _within(card: Any, element: Any) -> str:
    """A selector that finds `element` first inside `card` ("" when none of those tried does):
    its own, else qualified by its parent ("h3 a" for a title after an image's link)."""
    own = _selector(element)
    tried = [own]
    parent = element.getparent()
    if parent is not None and parent is not card:
        tried.append(f"{_selector(parent)} {own}")
    for selector in tried:
        found = card.cssselect(selector)
        if found and found[0] is element:
            return selector
    return ""
