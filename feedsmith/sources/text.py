"""The plain-text listing format: what an ILO-style "News, stories and statements" page reads as.

    News, stories and statements on cooperatives        <- page heading (ignored)
    April 2022                                          <- section / month heading (ignored)
      1. News                                           <- item marker + category line
        ILO supports Occupational Safety and Health...  <- title
        01 April 2022                                   <- the date line (see feedsmith.dates)
        A week-long training workshop focused on...     <- optional summary

An item is every line after its "N." marker that is indented deeper than the marker; a line at or
left of the marker's indentation is a heading and ends the item, as does a bulleted line ("* Next",
how a page's pager or menu reads as text). Within an item, paragraphs are
separated by blank lines (a wrapped paragraph is joined). Before the date come an optional category
and the title; image credits ("© SEWA 2022") there are dropped. What follows the date is the summary.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from feedsmith.cleantext import clean_document
from feedsmith.dates import date_language_of, language_name, parse_date_line
from feedsmith.errors import Problem
from feedsmith.sources.item import ListedItem

# "12. News", or "12." alone with the item's lines below it; any number of digits.
_MARKER = re.compile(r"^(\d+)\.(?:\s+(\S.*))?$")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")  # Unix, Windows and old Mac files alike
_BULLET = re.compile(r"^[*•]\s")
_CREDIT = re.compile(r"^(©|\(c\)\s|copyright\b|photo\s*:|credit\s*:|image\s*:)", re.IGNORECASE)
# A one-line numbered block such as "1. newsroom@ilo.org" under "Media contact" is not news.
_CONTACT = re.compile(r"^(\S+@\S+|https?://\S+|\+?[\d ()./-]{6,})$", re.IGNORECASE)


@dataclass(slots=True)
class _Block:
    """The lines of one numbered item, grouped into (line number, text) paragraphs."""

    line: int
    indent: int
    paragraphs: list[tuple[int, str]] = field(default_factory=list)
    open_paragraph: bool = False

    def add(self, number: int, text: str) -> None:
        if self.open_paragraph:
            start, before = self.paragraphs[-1]
            self.paragraphs[-1] = (start, f"{before} {text}")
        else:
            self.paragraphs.append((number, text))
        self.open_paragraph = True


def read_text_listing(
    text: str, origin: str, language: str = "en"
) -> tuple[list[ListedItem], list[Problem]]:
    """Every complete, dated item of a text listing, and a Problem for each one left out."""
    blocks = _blocks(text)
    items: list[ListedItem] = []
    problems: list[Problem] = []
    for index, block in enumerate(blocks):
        is_last = index == len(blocks) - 1
        item_or_problem = _item(block, origin, language, is_last)
        if isinstance(item_or_problem, ListedItem):
            items.append(item_or_problem)
        elif item_or_problem is not None:
            problems.append(item_or_problem)
    return items, problems


def _blocks(text: str) -> list[_Block]:
    blocks: list[_Block] = []
    current: _Block | None = None
    for number, raw in enumerate(_LINE_BREAK.split(clean_document(text)), start=1):
        words = raw.split()
        if not words:
            if current:
                current.open_paragraph = False
            continue
        content = " ".join(words)  # fold(), inlined: this loop runs for every line
        line = raw.expandtabs(4) if "\t" in raw else raw
        indent = len(line) - len(line.lstrip())
        marker = _MARKER.match(content) if content[0].isdigit() else None
        if marker:
            current = _Block(line=number, indent=indent)
            if marker[2]:
                current.add(number, marker[2])
                current.open_paragraph = False
            blocks.append(current)
        elif current and indent > current.indent and not (content[0] in "*•"
                                                           and _BULLET.match(content)):
            current.add(number, content)
        else:  # a heading, a bulleted link list (pagers, menus) or other text outside any item
            current = None
    return blocks


def _other_language(block: _Block, language: str) -> str:
    """Why a block has no date in `language` when one of its lines is a date in another: the
    source's `language` is likely wrong ("" when no line is)."""
    for _, text in block.paragraphs:
        other = date_language_of(text)
        if other:
            return (f"item has no date line in {language_name(language)}, but {text!r} is a date "
                    f"in {language_name(other)}: set language = \"{other}\" on this source; "
                    "left out")
    return ""


def _item(block: _Block, origin: str, language: str, is_last: bool) -> ListedItem | Problem | None:
    where = f"{origin}:{block.line}"
    date_index, day = next(((i, d) for i, (_, text) in enumerate(block.paragraphs)
                            if (d := parse_date_line(text, language)) is not None), (None, None))
    if date_index is None or day is None:
        if len(block.paragraphs) == 1 and _CONTACT.match(block.paragraphs[0][1]):
            return None
        hint = _other_language(block, language)
        if hint:
            return Problem(where, hint)
        if is_last:
            return Problem(where, "item has no date line: the page looks cut off here; left out")
        return Problem(where, "item has no date line such as \"01 December 2023\"; left out "
                              "(undated items such as events or vacancies are not news entries)")
    heading = [text for _, text in block.paragraphs[:date_index] if not _CREDIT.match(text)]
    summary = " ".join(text for _, text in block.paragraphs[date_index + 1:])
    if not heading:
        return Problem(where, "item has a date but no title before it; left out")
    if len(heading) > 2:
        return Problem(where, f"expected an optional category line and a title before the date, "
                              f"found {len(heading)} lines; left out")
    category = heading[0] if len(heading) == 2 else None
    return ListedItem(line=block.line, title=heading[-1], day=day, category=category,
                      summary=summary)
