"""Plain-text listings: what an ILO-style "News, stories and statements" page reads as.

The numbered layout of the samples:

    News, stories and statements on cooperatives        <- page heading (ignored)
    April 2022                                          <- section / month heading (ignored)
      1. News                                           <- item marker + category line
        ILO supports Occupational Safety and Health...  <- title
        01 April 2022                                   <- the date line (see feedsmith.dates)
        A week-long training workshop focused on...     <- optional summary

An item is every line after its "N." marker that is indented deeper than the marker; a line at or
left of the marker's indentation is a heading and ends the item, as does a bulleted line ("* Next",
how a page's pager or menu reads as text). Within an item, paragraphs are separated by blank
lines (a wrapped paragraph is joined); an item without any blank line before its date, as copied
from a browser, has a paragraph per line. The date line always stands alone. Before the date
come an optional category and the title; image credits ("© SEWA 2022") there are dropped. What
follows the date is the summary.

A listing without a single "N." marker is read by `feedsmith.sources.blocks` (the site's other
layouts): the layout is detected, never configured.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from feedsmith.dates import date_language_of, language_name, parse_date_line
from feedsmith.errors import Problem
from feedsmith.sources.blocks import read_unnumbered
from feedsmith.sources.item import ListedItem
from feedsmith.sources.lines import CREDIT, TextLine, text_lines

# "12. News", or "12." alone with the item's lines below it; any number of digits.
_MARKER = re.compile(r"^(\d+)\.(?:\s+(\S.*))?$")
_BULLET = re.compile(r"^[*•]\s")
# A one-line numbered block such as "1. newsroom@ilo.org" under "Media contact" is not news.
_CONTACT = re.compile(r"^(\S+@\S+|https?://\S+|\+?[\d ()./-]{6,})$", re.IGNORECASE)


@dataclass(slots=True)
class _Block:
    """One numbered item: the text on its marker's line ("News" of "1. News"), if any, and the
    lines below it."""

    line: int
    indent: int
    marked: str = ""
    lines: list[TextLine] = field(default_factory=list)

    def texts(self) -> list[TextLine]:
        """Its lines, the marker's text first (as a paragraph of its own)."""
        marked = [TextLine(self.line, self.marked, True, self.indent)] if self.marked else []
        return marked + self.lines


def read_text_listing(
    text: str, origin: str, language: str = "en", other_layouts: bool = True
) -> tuple[list[ListedItem], list[Problem]]:
    """Every complete, dated item of a text listing, and a Problem for each one left out.

    `other_layouts=False` reads the numbered layout only: the text of an HTML page, whose
    menus and footers a layout without markers would read as items (its cards are read with
    selectors instead)."""
    lines = text_lines(text)
    blocks = _numbered_blocks(lines)
    items: list[ListedItem] = []
    problems: list[Problem] = []
    for index, block in enumerate(blocks):
        is_last = index == len(blocks) - 1
        item_or_problem = _item(block, origin, language, is_last)
        if isinstance(item_or_problem, ListedItem):
            items.append(item_or_problem)
        elif item_or_problem is not None:
            problems.append(item_or_problem)
    if not items and other_layouts:  # no numbered item: one of the site's other layouts, or a stray "2023." line
        other_items, other_problems = read_unnumbered(lines, origin, language)
        if other_items or not blocks:
            return other_items, other_problems
    return items, problems


def _numbered_blocks(lines: list[TextLine]) -> list[_Block]:
    blocks: list[_Block] = []
    current: _Block | None = None
    for line in lines:
        content = line.text
        marker = _MARKER.match(content) if content[0].isdigit() else None
        if marker:
            current = _Block(line=line.number, indent=line.indent, marked=marker[2] or "")
            blocks.append(current)
        elif current and line.indent > current.indent and not (content[0] in "*•"
                                                                and _BULLET.match(content)):
            current.lines.append(line)
        else:  # a heading, a bulleted link list (pagers, menus) or other text outside any item
            current = None
    return blocks


def _paragraphs(lines: list[TextLine], date_after_blank: bool) -> list[str]:
    """The lines before a date as paragraphs: wrapped lines joined where blank lines separate
    paragraphs, a paragraph per line where none does (nor the date from them)."""
    if not date_after_blank and not any(line.after_blank for line in lines[1:]):
        return [line.text for line in lines]
    grouped: list[str] = []
    for index, line in enumerate(lines):
        if index and not line.after_blank:
            grouped[-1] = f"{grouped[-1]} {line.text}"
        else:
            grouped.append(line.text)
    return grouped


def _other_language(block: _Block, language: str) -> str:
    """Why a block has no date in `language` when one of its lines is a date in another: the
    source's `language` is likely wrong ("" when no line is)."""
    for text in (line.text for line in block.texts()):
        other = date_language_of(text)
        if other:
            return (f"item has no date line in {language_name(language)}, but {text!r} is "
                    f"a date in {language_name(other)}: set language = \"{other}\" on this "
                    "source; left out")
    return ""


def _item(block: _Block, origin: str, language: str, is_last: bool) -> ListedItem | Problem | None:
    where = f"{origin}:{block.line}"
    lines = block.texts()
    date_index, day = _date_line(lines, language)
    if date_index is None or day is None:
        if len(lines) == 1 and _CONTACT.match(lines[0].text):
            return None
        hint = _other_language(block, language)
        if hint:
            return Problem(where, hint)
        if is_last:
            return Problem(where, "item has no date line: the page looks cut off here; left out")
        return Problem(where, "item has no date line such as \"01 December 2023\"; left out "
                              "(undated items such as events or vacancies are not news entries)")
    marked = [block.marked] if block.marked and date_index else []
    above = _paragraphs(lines[len(marked):date_index], lines[date_index].after_blank)
    heading = [text for text in marked + above if not CREDIT.match(text)]
    summary = " ".join(line.text for line in lines[date_index + 1:])
    if not heading:
        return Problem(where, "item has a date but no title before it; left out")
    if len(heading) > 2:
        return Problem(where, f"expected an optional category line and a title before the date, "
                              f"found {len(heading)} lines; left out")
    category = heading[0] if len(heading) == 2 else None
    return ListedItem(line=block.line, title=heading[-1], day=day, category=category,
                      summary=summary)


def _date_line(lines: list[TextLine], language: str) -> tuple[int | None, date | None]:
    """The index of the first line that is a date, and the date."""
    return next(((index, day) for index, line in enumerate(lines)
                 if (day := parse_date_line(line.text, language)) is not None), (None, None))
